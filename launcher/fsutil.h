/*
 * File-system helpers for replacing whole directories safely: build the new
 * copy in a temporary directory beside the target, then swap it in with one
 * rename, so readers see the old copy or the new one and never half of one.
 */
#pragma once

#include <glib.h>

/* Removes a tree without ever following a symbolic link or leaving its file
 * system; makes read-only directories writable as it goes. A missing path
 * is not an error. */
gboolean lo_rm_rf(const char *path, GError **error);

/* Creates PARENT/.BASENAME.tmp-PID-XXXXXX beside target (PARENT must exist). */
char *lo_mkdtemp_beside(const char *target, GError **error);

/* Removes the temporary directories lo_mkdtemp_beside() made in dir whose
 * process is gone (killed before it could clean up). */
void lo_clean_stale_temps(const char *dir);

/* Renames new_dir to target, which must not exist yet (LO_EXIT_EXISTS). */
gboolean lo_rename_new(const char *new_dir, const char *target, GError **error);

/* Swaps new_dir in at target in one step (RENAME_EXCHANGE), then removes the
 * old copy; when target does not exist this is a plain rename. */
gboolean lo_replace_dir(const char *new_dir, const char *target, GError **error);

/* The names in the folder open at fd (not "." and ".."), sorted; read
 * completely before anything is changed. NULL when it cannot be listed. */
GPtrArray *lo_list_dir_fd(int fd);

/* Total size in bytes of the regular files under path (symlinks not followed). */
guint64 lo_tree_size(const char *path);

/* Writes the file system holding path to disk: the swap that follows must
 * not publish a copy whose data is still only in the page cache. */
gboolean lo_sync_tree(const char *path, GError **error);

/* SIGINT, SIGTERM and SIGHUP set a flag instead of killing the process while
 * something that must be cleaned up is in progress; a second signal kills.
 * Pairs nest: an inner pair keeps the outer one's flag and handlers. */
void lo_interrupt_begin(void);
void lo_interrupt_end(void);
gboolean lo_interrupted(void);
/* Sets the LO_EXIT_INTERRUPTED error. */
void lo_set_interrupted_error(GError **error, const char *what_was_undone);
