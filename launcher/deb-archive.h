/*
 * A Debian mirror's index of amd64 packages, fetched and verified the way
 * apt does it:
 *   1. dists/SUITE/InRelease, whose signature gpgv checks against a keyring
 *      (a child process run with an argv, never a shell); only the signed
 *      text gpgv writes out is read, never the bytes around it;
 *   2. that Release must describe SUITE, must not have expired, and lists
 *      the size and SHA256 of main/binary-amd64/Packages(.xz|.gz);
 *   3. the Packages index (by its hash when the mirror offers by-hash URLs,
 *      so a mirror update in between cannot mix files) is downloaded into
 *      the cache, checked against that size and SHA256, decompressed with
 *      a size limit and parsed stanza by stanza; each package's download
 *      path, size and SHA256 are checked for form before they are used.
 */
#pragma once

#include "deb-closure.h"
#include "deb-release.h"
#include "download.h"

#include <glib.h>

#define LO_DEBIAN_KEYRING      "/usr/share/keyrings/debian-archive-keyring.gpg"
#define LO_PACKAGES_MAX_BYTES  (G_GUINT64_CONSTANT(512) << 20) /* uncompressed */
#define LO_INRELEASE_MAX_BYTES (16 << 20)

typedef struct {
    const char *mirror;    /* lo_mirror_normalize()d: ends with '/' */
    const char *suite;     /* lo_debian_suite_valid() */
    const char *keyring;   /* an absolute path */
    const char *cache_dir; /* where the verified Packages index is kept */
    LoDownload net;        /* protocols, time limits, progress; url and what are set per file */
} LoDebArchive;

typedef struct {
    LoRelease *release;
    char *signer;        /* the user ID of the key that signed, as gpgv says */
    char *fingerprint;   /* of that key */
    char *packages_path; /* e.g. "main/binary-amd64/Packages.xz" */
    LoDebUniverse *universe;
    guint skipped;       /* malformed stanzas left out */
    char *first_skipped; /* why the first one was */
} LoDebIndex;

void lo_deb_index_free(LoDebIndex *ix);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoDebIndex, lo_deb_index_free)

/* Steps 1 to 3 above. Errors say which file, what was wrong and what to do. */
LoDebIndex *lo_deb_archive_open(const LoDebArchive *a, GError **error);

/* The URL of a file of the mirror (path relative to its root), escaped. */
char *lo_deb_archive_url(const char *mirror, const char *path);

/* Checks a mirror URL (http://, https://, file://; no user name, query or
 * fragment) and returns it with a trailing '/'; LO_EXIT_USAGE otherwise. */
char *lo_mirror_normalize(const char *url, GError **error);

/* Suite names: letters, digits, '.', '_', '-' (bookworm, stable, trixie-backports). */
gboolean lo_debian_suite_valid(const char *suite);

/* Parses a Packages index into u: amd64 and all packages whose fields are
 * well-formed; others are counted in *skipped (first reason in *first).
 * Exposed for tests and the fuzzer. */
gboolean lo_deb_packages_parse(const char *text, gsize len, const char *what, LoDebUniverse *u,
                               guint *skipped, char **first, GError **error);

/* Checks a clearsigned file with gpgv against keyring; returns the signed
 * text, and the signer's user ID and fingerprint. what names the file. */
GBytes *lo_gpgv_verify(const void *data, gsize len, const char *keyring, const char *what,
                       char **signer, char **fingerprint, GError **error);
