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
    gboolean merge_usr;    /* write bin, sbin, lib* entries into usr/ (a merged /usr, as
                              Debian has it; lo_extract_finish_usr_merge() adds the links) */
    guint64 progress_base; /* bytes of earlier sources, for the progress bar */
    /* Counters, updated as entries are written. */
    guint64 bytes;
    guint64 entries;
    guint64 skipped_special; /* devices, FIFOs, sockets */
} LoExtractor;

/* Extracts a tar archive or a .deb file (recognized by content). */
gboolean lo_extract_file(LoExtractor *x, const char *path, GError **error);

/* The same, naming the archive name in messages (a cached download's file
 * name is only a hash). */
gboolean lo_extract_file_named(LoExtractor *x, const char *path, const char *name, GError **error);

/* The same for an archive in memory (fuzzing, tests); name is for messages. */
gboolean lo_extract_memory(LoExtractor *x, const void *data, gsize size, const char *name,
                           GError **error);

/* Copies a directory tree with the same checks (symbolic links not followed,
 * other file systems not entered). */
gboolean lo_extract_dir(LoExtractor *x, const char *dir, GError **error);

/* One file of this machine to copy into the sysroot (dpkg's file lists). */
typedef struct {
    const char *path; /* where it goes: an absolute path, as dpkg lists it */
    const char *from; /* the host file to copy: path itself, or where a diversion moved it */
    gboolean as_dir;  /* a folder even when the host has a symbolic link there (the /usr
                         merge turns /lib into one); TRUE for folders that hold listed files */
} LoHostFile;

/* Copies files of this machine with the same checks as archive entries
 * (symbolic links copied, not followed; absolute ones made relative).
 * Files that no longer exist or cannot be read are skipped and counted in
 * *missing and *unreadable (the first one's path and reason in *first_problem). */
gboolean lo_extract_host_files(LoExtractor *x, const LoHostFile *files, gsize n, const char *source,
                               guint *missing, guint *unreadable, char **first_problem,
                               GError **error);

/* A normalized entry path as a merged /usr has it: "lib/x" -> "usr/lib/x";
 * other paths unchanged. Exposed for tests. */
char *lo_extract_merge_usr_path(const char *path);

/* Whether target has a merged /usr (lib is a link to usr/lib). */
gboolean lo_extract_is_merged(const char *target);

/* Creates bin, sbin, lib, lib64, ... -> usr/... for those usr/ holds. */
gboolean lo_extract_finish_usr_merge(const char *target, GError **error);

/* Normalizes an entry path: strips "./" and empty components; refuses an
 * absolute path or a ".." component (NULL with why set). Exposed for tests. */
char *lo_extract_normalize_path(const char *path, const char **why);

/* The link target to create for a symbolic link at link_path (normalized)
 * pointing to target, or NULL when it would resolve outside (why set).
 * Absolute targets become relative. Exposed for tests. */
char *lo_extract_rewrite_symlink(const char *link_path, const char *target, const char **why);
