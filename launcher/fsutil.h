/*
 * File-system helpers for replacing whole directories safely: build the new
 * copy in a temporary directory beside the target, then swap it in with one
 * rename, so readers see the old copy or the new one and never half of one.
 */
#pragma once

#include <glib.h>

/* Removes a tree without ever following a symbolic link or leaving its file
 * system; makes read-only directories writable as it goes. A missing path
 * is not an error. A tree with anything mounted inside (a bind mount of the
 * same file system included) is refused before anything is removed. */
gboolean lo_rm_rf(const char *path, GError **error);

/* Creates PARENT/.BASENAME.tmp-PID-XXXXXX beside target (PARENT must exist)
 * and holds an flock on it through *lock_fd until the caller closes that
 * (after renaming or removing the folder). The lock, not the PID, tells a
 * temporary folder in use from a leftover: a qemu-lorelei in another PID
 * namespace (a second Flatpak instance) shares the folder but not the PIDs. */
char *lo_mkdtemp_beside(const char *target, int *lock_fd, GError **error);

/* The temporary folders lo_mkdtemp_beside() made in dir that no process
 * holds any more (left by a killed or interrupted command), sorted. */
GPtrArray *lo_stale_temps(const char *dir);

/* Removes them, each while holding its lock. */
void lo_clean_stale_temps(const char *dir);

/* Takes an exclusive flock on the folder at path, waiting for another
 * process that holds it (printing waiting_note once first, if not NULL;
 * Ctrl-C stops the wait: LO_EXIT_INTERRUPTED). Returns the locked
 * descriptor, or -1 with error (errno ENOENT when path is gone). When the
 * folder was replaced at path while waiting, the new one is locked. */
int lo_lock_dir(const char *path, const char *waiting_note, GError **error);

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
/* Text the signal handler writes to stderr when the first signal arrives
 * (NULL: none), until lo_interrupt_end(); kept by reference. For work that
 * goes on after Ctrl-C, so the user knows why it did not stop. */
void lo_interrupt_set_notice(const char *text);
/* Sets the LO_EXIT_INTERRUPTED error. */
void lo_set_interrupted_error(GError **error, const char *what_was_undone);
