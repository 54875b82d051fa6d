/*
 * A Debian suite's Release file (the signed part of dists/SUITE/InRelease):
 * which suite it describes, until when it is valid, and the size and
 * SHA256 of every index file it lists. Everything the archive serves is
 * checked against these hashes, and they are only as trustworthy as the
 * signature gpgv checked (deb-archive.c).
 */
#pragma once

#include <glib.h>

typedef struct {
    char *path; /* relative to dists/SUITE/, e.g. "main/binary-amd64/Packages.xz" */
    guint64 size;
    char *sha256; /* lowercase hex */
} LoReleaseFile;

typedef struct {
    char *origin, *label, *suite, *codename, *version, *date; /* NULL when absent */
    gint64 valid_until;                                       /* Unix time, 0 when absent */
    gboolean by_hash;                                         /* Acquire-By-Hash: yes */
    char **architectures;                                     /* NULL when absent */
    char **components;                                        /* NULL when absent */
    GPtrArray *files;                                         /* LoReleaseFile*, from SHA256 */
} LoRelease;

void lo_release_free(LoRelease *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoRelease, lo_release_free)

/* Parses a Release; what names it in messages. LO_EXIT_INVALID on errors:
 * not one stanza, no SHA256 list, a malformed line in it, a path that is
 * absolute or has "..", a bad date. */
LoRelease *lo_release_parse(const char *text, gsize len, const char *what, GError **error);

/* The entry for path, or NULL. */
const LoReleaseFile *lo_release_find(const LoRelease *r, const char *path);

/* Refuses (LO_EXIT_DOWNLOAD) a Release that is not for suite (neither its
 * Suite nor its Codename), has expired (Valid-Until before now, Unix
 * time), or lacks the amd64 architecture or the main component. */
gboolean lo_release_check(const LoRelease *r, const char *suite, gint64 now, const char *what,
                          GError **error);

/* An RFC 2822 date as Release files write it ("Sat, 10 May 2025 09:11:12
 * UTC"), as Unix time; -1 when it is not one. */
gint64 lo_release_parse_date(const char *text);

/* Whether path is a safe relative path inside a mirror: no leading '/',
 * no empty, "." or ".." component, only [A-Za-z0-9+._~/-]. */
gboolean lo_mirror_path_safe(const char *path);
