/*
 * `run --error-dialog`: a game started from a desktop entry or a file
 * manager has no terminal, so when it (or the launcher) fails the user would
 * see nothing at all. The message then goes to the first of these that is
 * there: zenity, kdialog, xmessage (a dialog), notify-send (a notification),
 * xdg-open on the log file (a text viewer; through the portal inside the
 * Flatpak); with none, or without a display, it stays on stderr with the
 * log's path.
 */
#pragma once

#include <glib.h>

/* The dialog tools in the order they are tried; NULL-terminated. */
extern const char *const lo_dialog_tools[];

/* Shows text (plain text: never markup) titled title. log: the log file,
 * or NULL. Returns the tool that showed it, or NULL when none could (then
 * only the title and the log's path go to stderr, where the details are
 * already). Waits until the dialog is closed. */
const char *lo_error_dialog_show(const char *title, const char *text, const char *log);

/* The last lines of a file (at most max_lines and 4 KiB), or NULL. */
char *lo_file_tail(const char *path, guint max_lines);

/* For run --error-dialog: a game that ended badly (not a clean exit, not
 * stopped by the user with SIGINT/SIGTERM/SIGHUP/SIGKILL), with the last
 * lines of its log; and an error of the launcher itself. */
void lo_error_dialog_for_exit(const char *game, int status, int signal, const char *log);
void lo_error_dialog_for_error(const char *game, const char *message, const char *log);
