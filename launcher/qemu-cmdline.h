/*
 * The QEMU command line and environment for a run:
 *
 *   qemu-x86_64 [-L SYSROOT] -cpu MODEL [QEMU OPTIONS]
 *       -plugin PLUGIN,lib=sdl2,lib=gl,lib=vulkan[,verbose=on]
 *       -E LD_LIBRARY_PATH=GUESTLIBS/sdl2:GUESTLIBS/gl:GUESTLIBS/vulkan
 *       -E KEY=VALUE... -U LD_PRELOAD GAME [PROFILE ARGS] [ARGS]
 *
 * One lib= and one LD_LIBRARY_PATH folder per enabled thunk, so the stub
 * libraries win over the sysroot's own. With no thunk enabled neither the
 * plugin nor the preload shim is used and LD_LIBRARY_PATH is unset.
 *
 * QEMU's own (host) environment is the launcher's, minus the QEMU_* variables
 * qemu-user would apply behind the launcher's back (lo_stripped_qemu_vars),
 * plus LD_PRELOAD=<preload shim> (host library threads must start with
 * signals blocked; -U LD_PRELOAD keeps it from the guest) and the profile's
 * allow-listed variables, which the forwarded host libraries read from the
 * host environment (the guest gets them through -E as well).
 */
#pragma once

#include "run-settings.h"

#include <glib.h>

/* Variables removed from QEMU's environment; NULL-terminated. */
extern const char *const lo_stripped_qemu_vars[];

typedef struct {
    const char *qemu;
    const char *plugin;    /* needed when a thunk is enabled */
    const char *preload;   /* needed when a thunk is enabled */
    const char *guestlibs; /* needed when a thunk is enabled */
    const char *sysroot;   /* NULL: no -L */
    const char *game;
    const char *const *game_args; /* NULL-terminated, may be NULL */
    const LoRunSettings *settings;
    const char *const *environ; /* the launcher's environment */
    gboolean plugin_verbose;    /* the plugin logs what it loads (verbose=on) */
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
