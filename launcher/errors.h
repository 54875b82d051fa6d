/*
 * Errors and exit statuses of qemu-lorelei.
 *
 * Every subcommand returns gboolean and fills a GError; only main() prints it,
 * once, as "error: <message>". A message says what happened and why on its
 * first line; lo_error_fix() appends what to do as "  fix: ..." lines.
 * The codes of LO_ERROR are the exit statuses listed in docs/qemu-lorelei.1.
 */
#pragma once

#include <glib.h>

typedef enum {
    LO_EXIT_OK = 0,
    LO_EXIT_FAILURE = 1,       /* anything not covered below (I/O errors, ...) */
    LO_EXIT_USAGE = 2,         /* unknown command or option, wrong arguments */
    LO_EXIT_INVALID = 3,       /* a profile, index, archive or sysroot failed validation */
    LO_EXIT_NOT_FOUND = 4,     /* profile, sysroot, game, QEMU, plugin or guest libraries missing */
    LO_EXIT_DOWNLOAD = 5,      /* profile sync: download failed or was refused */
    LO_EXIT_CHECKS_FAILED = 6, /* doctor: at least one check failed */
    LO_EXIT_NOT_X86_64 = 7,    /* the game is not an x86_64 ELF program */
    LO_EXIT_UNSUPPORTED = 8,   /* not possible on this host (--from-host off x86_64, parts */
                               /* for another machine, a QEMU without the filter API) */
    LO_EXIT_EXISTS = 9,        /* the thing to create already exists */
    LO_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM during an import or sync */
} LoExit;

#define LO_ERROR (lo_error_quark())
GQuark lo_error_quark(void);

/* Appends "\n  fix: <text>" to *error's message; does nothing without an error. */
void lo_error_fix(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Appends "\n  <text>": a further line of explanation under the message. */
void lo_error_note(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* A usage error (LO_EXIT_USAGE) that points at the running command's --help. */
void lo_usage_error(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* The exit status main() uses for an error from any domain. */
int lo_exit_status_for(const GError *error);
