/*
 * The QEMU command line and environment for a run:
 *
 *   qemu-x86_64 [-L SYSROOT] -cpu MODEL [QEMU OPTIONS]
 *       -plugin PLUGIN,lib=sdl2,lib=gl,lib=vulkan,lib=openal,lib=zlib,lib=vorbisfile
 *               [,verbose=on]
 *       [-plugin PROFILE_PLUGIN[,out=FILE]]       (run --profile-libs)
 *       -E LD_LIBRARY_PATH=GUESTLIBS/sdl2:GUESTLIBS/gl:GUESTLIBS/vulkan:GUESTLIBS/openal:
 *                          GUESTLIBS/zlib:GUESTLIBS/vorbisfile[:SDL12_COMPAT_DIR]
 *       -E KEY=VALUE... -E LD_PRELOAD=GUESTLIBS/castcache/liblorelei-castcache.so
 *       -0 GAME GAME_FILE [PROFILE ARGS] [ARGS]
 *
 * One lib= and one LD_LIBRARY_PATH folder per enabled thunk, so the stub
 * libraries win over the sysroot's own. sdl12-compat's folder follows them
 * when run chose it (an SDL 1.2 game with SDL2 forwarded): the game then
 * loads sdl12-compat's libSDL-1.2, which turns its calls into SDL2 calls,
 * and those reach the host. With no thunk enabled neither the plugin nor
 * the preload shim is used and LD_LIBRARY_PATH is unset. The guest's
 * LD_PRELOAD is the dynamic_cast cache with thunks on (unless run
 * --keep-dynamic-cast; the cache takes it out of the game's environment
 * as it loads), else unset.
 *
 * QEMU's own (host) environment is the launcher's, minus every QEMU_*
 * variable qemu-user would apply behind the launcher's back (all but the
 * diagnostic ones of lo_passed_qemu_vars),
 * plus LD_PRELOAD=<preload shim> (host library threads must start with
 * signals blocked; the guest's own -E or -U LD_PRELOAD keeps it from the
 * guest) and the profile's
 * allow-listed variables, which the forwarded host libraries read from the
 * host environment (the guest gets them through -E as well).
 */
#pragma once

#include "lorelei/castcache.h"
#include "run-settings.h"

#include <glib.h>

/* The path of the guest library that caches dynamic_cast's answers
 * (thunklibs/castcache, LORELEI_CASTCACHE_LIBRARY) in the guest library
 * folder, GUESTLIBS/castcache, whether or not it is there: run and doctor
 * look for it in the same place. With thunks on and no run
 * --keep-dynamic-cast, the guest's LD_PRELOAD is this and nothing else. */
char *lo_castcache_library(const char *guestlibs);

/* Where Debian's libsdl1.2-compat puts its libSDL-1.2.so.0, out of the
 * loader's default search (the classic SDL 1.2 stays the default there). */
#define LO_SDL12_COMPAT_DIR "/usr/lib/x86_64-linux-gnu/sdl12-compat"

/* sdl12-compat's libSDL-1.2.so.0 under the guest's root (sysroot, or the
 * host's / when NULL), whether or not it is there: run and doctor look for
 * it in the same place. */
char *lo_sdl12_compat_library(const char *sysroot);

/* The QEMU_* variables that pass from the launcher's environment to QEMU's
 * (diagnostics only); every other QEMU_* is removed. NULL-terminated. */
extern const char *const lo_passed_qemu_vars[];

typedef struct {
    const char *qemu;
    const char *plugin;           /* needed when a thunk is enabled */
    const char *preload;          /* needed when a thunk is enabled */
    const char *guestlibs;        /* needed when a thunk is enabled */
    const char *sysroot;          /* NULL: no -L */
    const char *game;             /* the game's path: its argv[0] (QEMU's -0) */
    const char *game_file;        /* what QEMU opens (/proc/self/fd/N); NULL: game */
    const char *const *game_args; /* NULL-terminated, may be NULL */
    const LoRunSettings *settings;
    const char *const *environ; /* the launcher's environment */
    const char *gdb_socket;     /* run --gdb: QEMU's -g on this Unix socket; NULL: none */
    gboolean plugin_verbose;    /* the plugin logs what it loads (verbose=on) */
    const char *profile_plugin; /* run --profile-libs: liblorelei-profile.so; NULL: none */
    const char *profile_out;    /* --profile-libs=FILE: its JSON report; NULL: table only */
    /* The guest folder of sdl12-compat's libSDL-1.2 (LO_SDL12_COMPAT_DIR),
     * after the stub folders; NULL: not used (run passes it only with SDL2
     * forwarded) */
    const char *sdl12_compat_dir;
} LoCommandInput;

typedef struct {
    GPtrArray *argv;      /* NULL-terminated, for execve */
    GPtrArray *envp;      /* NULL-terminated, for execve */
    GPtrArray *env_set;   /* "KEY=VALUE" added or changed in QEMU's environment */
    GPtrArray *env_unset; /* names removed from it */
} LoCommand;

/* Fails (LO_EXIT_NOT_FOUND) when an enabled thunk's guest library folder is
 * missing, or when a path cannot be expressed on QEMU's command line. */
gboolean lo_command_build(const LoCommandInput *in, LoCommand *out, GError **error);
void lo_command_clear(LoCommand *cmd);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LoCommand, lo_command_clear)

/* Escapes a value for QEMU's "-plugin file,key=value" syntax (',' -> ',,'). */
char *lo_qemu_opt_escape(const char *value);
