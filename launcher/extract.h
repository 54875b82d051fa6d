/*
 * Safe extraction of untrusted archives into a sysroot being made.
 *
 * Sources: tar archives (plain, .gz, .xz, .zst, .bz2), Debian packages (an ar
 * archive whose data.tar.* member is extracted) and directories. Every entry
 * passes two independent guards:
 *   - our own checks (extract_entry_check in extract.c): no absolute path, no
 *     "..", no parent that is a symbolic link, symbolic links rewritten or
 *     refused so that they resolve inside the sysroot, hard links only to
 *     entries inside; devices, FIFOs and sockets skipped; set-id bits dropped;
 *   - libarchive's ARCHIVE_EXTRACT_SECURE_NODOTDOT, _SECURE_SYMLINKS and
 *     _SECURE_NOABSOLUTEPATHS, with paths relative to the target directory.
 * A rootfs' absolute symbolic links (/lib64/ld-linux-x86-64.so.2 ->
 * /lib/x86_64-linux-gnu/...) mean "inside this root"; they are rewritten as
 * relative links, because QEMU's -L resolves them against the host's root.
 */
#pragma once

#include "progress.h"

#include <glib.h>

#define LO_EXTRACT_DEFAULT_MAX_BYTES   (G_GUINT64_CONSTANT(64) << 30) /* 64 GiB */
#define LO_EXTRACT_DEFAULT_MAX_ENTRIES 4000000

typedef struct {
    const char *target;    /* an existing, empty (or cloned) directory */
    guint64 max_bytes;     /* total bytes of file data allowed */
    guint64 max_entries;   /* total entries allowed */
    LoProgress *progress;  /* may be NULL */
    guint64 progress_base; /* bytes of earlier sources, for the progress bar */
    /* Counters, updated as entries are written. */
    guint64 bytes;
    guint64 entries;
    guint64 skipped_special; /* devices, FIFOs, sockets */
} LoExtractor;

/* Extracts a tar archive or a .deb file (recognized by content). */
gboolean lo_extract_file(LoExtractor *x, const char *path, GError **error);

/* The same for an archive in memory (fuzzing, tests); name is for messages. */
gboolean lo_extract_memory(LoExtractor *x, const void *data, gsize size, const char *name,
                           GError **error);

/* Copies a directory tree with the same checks (symbolic links not followed,
 * other file systems not entered). */
gboolean lo_extract_dir(LoExtractor *x, const char *dir, GError **error);

/* Normalizes an entry path: strips "./" and empty components; refuses an
 * absolute path or a ".." component (NULL with why set). Exposed for tests. */
char *lo_extract_normalize_path(const char *path, const char **why);

/* The link target to create for a symbolic link at link_path (normalized)
 * pointing to target, or NULL when it would resolve outside (why set).
 * Absolute targets become relative. Exposed for tests. */
char *lo_extract_rewrite_symlink(const char *link_path, const char *target, const char **why);
