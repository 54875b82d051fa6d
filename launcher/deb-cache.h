/*
 * Downloaded files kept by their SHA256 in a cache folder (the packages and
 * indexes of sysroots made from a Debian mirror, under
 * $XDG_CACHE_HOME/qemu-lorelei/):
 *   DIR/<sha256>          complete, and verified again whenever it is used;
 *   DIR/<sha256>.partial  a download in progress, or one cut short by a
 *                         network error or Ctrl-C: the next run resumes it
 *                         with an HTTP Range request and verifies the whole.
 * A file whose size or SHA256 is wrong is deleted, never used. A partial
 * file is locked (flock) while one process downloads it; another process
 * wanting the same file waits for it.
 */
#pragma once

#include "download.h"

#include <glib.h>

typedef struct {
    const char *url;
    const char *what;      /* "libc6 2.36-9 (pool/main/g/glibc/libc6_2.36-9_amd64.deb)" */
    const char *listed_in; /* where size and sha256 come from: "Packages" */
    guint64 size;
    const char *sha256; /* lowercase hex */
} LoCacheItem;

typedef enum {
    LO_CACHE_HIT,        /* was complete in the cache */
    LO_CACHE_RESUMED,    /* a partial file was completed */
    LO_CACHE_DOWNLOADED, /* downloaded whole */
} LoCacheHow;

/* $XDG_CACHE_HOME/qemu-lorelei/SUB */
char *lo_cache_subdir(const char *sub);

/* The path of a verified copy of item in dir, downloading what is missing
 * with net (url and what are taken from item). */
char *lo_cache_get(const char *dir, const LoCacheItem *item, const LoDownload *net, LoCacheHow *how,
                   GError **error);

/* Bytes of item already in dir (complete or partial): for progress totals. */
guint64 lo_cache_have(const char *dir, const LoCacheItem *item);
