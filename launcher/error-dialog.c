#include "error-dialog.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

const char *const lo_dialog_tools[] = {"zenity",      "kdialog",  "xmessage",
                                       "notify-send", "xdg-open", NULL};

#define TAIL_MAX_BYTES 4096

char *lo_file_tail(const char *path, guint max_lines)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    if (path == NULL || !g_file_get_contents(path, &text, &len, NULL)) {
        return NULL;
    }
    gsize start = len > TAIL_MAX_BYTES ? len - TAIL_MAX_BYTES : 0;
    guint lines = 0;
    for (gsize i = len; i > start; i--) {
        if (text[i - 1] == '\n' && i != len && ++lines >= max_lines) {
            start = i;
            break;
        }
    }
    /* Keep it valid text for the dialog tools. */
    return g_utf8_make_valid(text + start, (gssize)(len - start));
}

static gboolean run_tool(const char *const *argv)
{
    int status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, NULL)) {
        return FALSE;
    }
    /* zenity and kdialog answer 1 when the window is closed instead of OK:
     * it was shown all the same. Only "could not run" counts as failure. */
    return WIFEXITED(status) && WEXITSTATUS(status) != 127 && WEXITSTATUS(status) != 255;
}

const char *lo_error_dialog_show(const char *title, const char *text, const char *log)
{
    gboolean display = g_getenv("DISPLAY") != NULL || g_getenv("WAYLAND_DISPLAY") != NULL;
    for (const char *const *tool = lo_dialog_tools; display && *tool != NULL; tool++) {
        g_autofree char *path = g_find_program_in_path(*tool);
        if (path == NULL) {
            continue;
        }
        gboolean shown = FALSE;
        if (strcmp(*tool, "zenity") == 0) {
            const char *argv[] = {path,  "--error", "--no-markup", "--width=640", "--title",
                                  title, "--text",  text,          NULL};
            shown = run_tool(argv);
        } else if (strcmp(*tool, "kdialog") == 0) {
            const char *argv[] = {path, "--title", title, "--error", text, NULL};
            shown = run_tool(argv);
        } else if (strcmp(*tool, "xmessage") == 0) {
            const char *argv[] = {path, "-center", "-title", title, "-buttons", "OK", text, NULL};
            shown = run_tool(argv);
        } else if (strcmp(*tool, "notify-send") == 0) {
            const char *argv[] = {
                path, "--urgency=critical", "--app-name=qemu-lorelei", title, text, NULL};
            shown = run_tool(argv);
        } else if (log != NULL) {
            const char *argv[] = {path, log, NULL};
            shown = run_tool(argv);
        }
        if (shown) {
            return *tool;
        }
    }
    /* The details are on stderr already (the error, the game's output). */
    g_printerr("%s\n", title);
    if (display) {
        g_printerr("qemu-lorelei: no dialog tool (zenity, kdialog, xmessage, notify-send, "
                   "xdg-open) could show this%s%s\n",
                   log != NULL ? "; the log: " : "", log != NULL ? log : "");
    }
    return NULL;
}

void lo_error_dialog_for_exit(const char *game, int status, int sig, const char *log)
{
    /* Stopped by the user (Ctrl-C, logout, kill): not a failure to report. */
    if ((sig == 0 && status == 0) || sig == SIGINT || sig == SIGTERM || sig == SIGHUP ||
        sig == SIGKILL) {
        return;
    }
    g_autofree char *base = g_path_get_basename(game);
    g_autofree char *title = g_strdup_printf("qemu-lorelei: %s stopped with an error", base);
    g_autofree char *how =
        sig != 0 ? g_strdup_printf("it was killed by signal %d (%s)", sig, g_strsignal(sig))
                 : g_strdup_printf("it ended with exit status %d", status);
    g_autofree char *tail = lo_file_tail(log, 15);
    g_autofree char *text =
        g_strdup_printf("%s: %s.\n\nThe last lines of its output:\n%s\n"
                        "The whole log: %s\n"
                        "`qemu-lorelei report` makes a bug report of it.",
                        game, how, tail != NULL ? tail : "(none)\n", log != NULL ? log : "(none)");
    lo_error_dialog_show(title, text, log);
}

void lo_error_dialog_for_error(const char *game, const char *message, const char *log)
{
    g_autofree char *base = g_path_get_basename(game != NULL ? game : "the game");
    g_autofree char *title = g_strdup_printf("qemu-lorelei: cannot start %s", base);
    g_autofree char *text = g_strdup_printf(
        "error: %s%s%s", message, log != NULL ? "\n\nThe log: " : "", log != NULL ? log : "");
    lo_error_dialog_show(title, text, log);
}
