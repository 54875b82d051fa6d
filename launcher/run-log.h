/*
 * `run --log`: a file per run with the launcher's choices, QEMU's and the
 * game's output (still shown on the terminal: tee'd) and how it ended.
 *
 * Without --log, run replaces itself with QEMU (exec). With it, QEMU runs
 * as a child whose stdout and stderr are pipes the launcher copies to its
 * own and to the log; the launcher then exits as the game did (same status,
 * or the same signal). SIGINT and SIGQUIT reach the game from the terminal
 * and are ignored by the launcher while it waits; SIGTERM and SIGHUP are
 * passed on to the game.
 *
 * The default file is $XDG_STATE_HOME/qemu-lorelei/logs/DATE-TIME-GAME.log;
 * only the newest LO_LOG_KEEP of that folder are kept.
 */
#pragma once

#include <glib.h>

#define LO_LOG_KEEP 10

/* $XDG_STATE_HOME/qemu-lorelei/logs */
char *lo_log_dir(void);

/* Opens the log: file, or (NULL) a new one in lo_log_dir() named after
 * game, removing the oldest beyond LO_LOG_KEEP. From then on g_printerr()
 * goes to the log too. */
gboolean lo_run_log_open(const char *file, const char *game, int argc, char **argv, GError **error);
gboolean lo_run_log_active(void);
const char *lo_run_log_path(void);

/* One line into the log only (the launcher's choices). */
void lo_run_log_line(const char *fmt, ...) G_GNUC_PRINTF(1, 2);

/* Runs argv (envp) as a child, tees its output, logs the end and returns
 * how it ended: exit status, or 128 + signal with *signal set. FALSE only
 * when it cannot start. */
gboolean lo_run_log_exec(char **argv, char **envp, int *status, int *signal, GError **error);

/* Writes the last line and closes the log. */
void lo_run_log_close(void);

/* Closes the log and leaves as the child did: exit(status), or the same
 * signal raised again. A hook set before (the error dialog) runs first. */
G_NORETURN void lo_run_log_finish(int status, int signal);
void lo_run_log_set_finish_hook(void (*hook)(int status, int signal));

/* The newest log of lo_log_dir(), or NULL. */
char *lo_log_latest(void);
