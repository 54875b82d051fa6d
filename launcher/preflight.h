/*
 * The pre-flight check of `run`: before QEMU starts, walk the game's
 * DT_NEEDED libraries (and theirs, and so on) the way the x86_64 dynamic
 * loader will under `qemu-x86_64 -L SYSROOT`, and name a library it will
 * not find — with where it looked and how to add it — instead of leaving the
 * user with the loader's raw "cannot open shared object file" and exit 127.
 *
 * Search order for a name without '/', as glibc's ld.so does it:
 *   1. DT_RPATH of the object (when it has no DT_RUNPATH) and of the program,
 *   2. the guest's LD_LIBRARY_PATH (the stub folders run sets),
 *   3. DT_RUNPATH of the object,
 *   4. the folders of the sysroot's /etc/ld.so.conf (and its includes),
 *   5. the standard folders: /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu,
 *      /lib64, /usr/lib64, /lib, /usr/lib.
 * $ORIGIN, $LIB and $PLATFORM are expanded. Every guest path P is looked up
 * as QEMU's -L does: SYSROOT/P when it exists, else P on the host. A file
 * that is not a 64-bit x86_64 ELF is skipped, like the loader skips it.
 *
 * The check errs towards "found": it reads ld.so.conf instead of
 * ld.so.cache and searches every standard folder of every distribution, so
 * a library it calls missing is missing. Libraries a game dlopen()s are not
 * seen (nothing names them in the file).
 */
#pragma once

#include <glib.h>

#define LO_PREFLIGHT_MAX_OBJECTS 4096 /* libraries read, at most */

typedef struct {
    const char *game;                /* the program, as QEMU gets it */
    const char *sysroot;             /* QEMU's -L, or NULL */
    const char *const *library_path; /* the guest's LD_LIBRARY_PATH, NULL-terminated; may be NULL */
} LoPreflightInput;

typedef struct {
    char *name;        /* as DT_NEEDED names it */
    char *needed_by;   /* the guest path of the object that needs it */
    char *in_game_dir; /* a copy in the game's folder tree the loader does not search, or NULL */
} LoMissingLib;

typedef struct {
    char *missing_interp; /* the program's PT_INTERP when the loader itself is missing */
    GPtrArray *missing;   /* LoMissingLib*, in the order the loader meets them */
    GPtrArray *searched;  /* the guest folders of steps 4 and 5, in order */
    GPtrArray *found;     /* "NAME => HOST PATH", for --verbose */
    guint objects;        /* files read */
} LoPreflightResult;

/* Runs the check. FALSE only when the program itself cannot be read or is
 * damaged; missing libraries are reported in out. */
gboolean lo_preflight_check(const LoPreflightInput *in, LoPreflightResult *out, GError **error);
void lo_preflight_result_clear(LoPreflightResult *r);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LoPreflightResult, lo_preflight_result_clear)

/* Whether out found nothing missing. */
gboolean lo_preflight_ok(const LoPreflightResult *r);

/* Sets error (LO_EXIT_NOT_FOUND) describing what is missing, where the loader
 * looked and how to add it. sysroot_name: the sysroot's name, NULL for none. */
void lo_preflight_set_error(const LoPreflightInput *in, const LoPreflightResult *r,
                            const char *sysroot_name, GError **error);

/* The Debian (12, amd64) package that probably ships a library, from a
 * table of well-known ones, else from Debian's naming rule
 * (libfoo.so.1 -> libfoo1, libfoo-2.0.so.0 -> libfoo-2.0-0); NULL for a name
 * without a version (libsteam_api.so: games ship those themselves). */
char *lo_debian_package_guess(const char *soname);

/* The entries of a guest LD_LIBRARY_PATH set by `-E LD_LIBRARY_PATH=…` in a
 * QEMU argv (NULL-terminated); an empty vector when there is none. */
char **lo_preflight_library_path_from_argv(const char *const *argv);

/* What `run` calls before QEMU starts: the check with the guest's
 * LD_LIBRARY_PATH taken from QEMU's argv; with verbose every library found
 * is listed on stderr; a dry run only warns. */
gboolean lo_preflight_for_run(const char *game, const char *sysroot, const char *sysroot_name,
                              const char *const *qemu_argv, gboolean verbose, gboolean dry_run,
                              GError **error);
