/*
 * qemu-lorelei report: one text file for a bug report — versions, the host,
 * `doctor --json`, the resolved profile of the game, the sysroots and the
 * last `run --log` — with this user's home folder, user name and host name
 * replaced (report-scrub.c), so it can be attached as it is.
 */
#include "commands.h"
#include "errors.h"
#include "json-util.h"
#include "report-scrub.h"
#include "run-log.h"
#include "spawn.h"
#include "util.h"
#include "version.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#define DOCTOR_TIMEOUT_MS  (120 * 1000)
#define COMMAND_TIMEOUT_MS (30 * 1000)
#define MAX_COMMAND_OUTPUT (1024 * 1024)
#define MAX_LOG_IN_REPORT  (256 * 1024)

/* Runs this launcher with args; the output and how it ended, as text. */
static void add_command(GString *out, const char *title, const char *const *args, int timeout)
{
    g_autofree char *self = g_file_read_link("/proc/self/exe", NULL);
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_ptr_array_add(argv, self != NULL ? self : (char *)"qemu-lorelei");
    for (const char *const *a = args; *a != NULL; a++) {
        g_ptr_array_add(argv, (char *)*a);
    }
    g_ptr_array_add(argv, NULL);
    g_autofree char *shown = g_strjoinv(" ", (char **)args);
    g_string_append_printf(out, "\n===== %s: qemu-lorelei %s =====\n", title, shown);
    LoSpawnResult r = {0};
    g_autoptr(GError) error = NULL;
    if (!lo_spawn((const char *const *)argv->pdata, NULL, timeout, MAX_COMMAND_OUTPUT, &r,
                  &error)) {
        g_string_append_printf(out, "(could not run it: %s)\n", error->message);
        return;
    }
    g_autofree char *how = lo_spawn_describe(&r, timeout);
    g_string_append(out, r.out);
    if (r.err[0] != '\0') {
        g_string_append_printf(out, "----- its stderr -----\n%s", r.err);
    }
    g_string_append_printf(out, "----- %s -----\n", how);
    lo_spawn_result_clear(&r);
}

static void add_host(GString *out)
{
    struct utsname u;
    g_string_append(out, "\n===== host =====\n");
    if (uname(&u) == 0) {
        g_string_append_printf(out, "kernel: %s %s %s\n", u.sysname, u.release, u.machine);
    }
    g_autofree char *os = NULL;
    if (g_file_get_contents("/etc/os-release", &os, NULL, NULL)) {
        g_auto(GStrv) lines = g_strsplit(os, "\n", -1);
        for (char **l = lines; *l != NULL; l++) {
            if (g_str_has_prefix(*l, "PRETTY_NAME=")) {
                g_string_append_printf(out, "system: %s\n", *l + 12);
            }
        }
    }
    /* Which kind of session, never the values of anything else. */
    const char *vars[] = {"XDG_SESSION_TYPE", "XDG_CURRENT_DESKTOP", "FLATPAK_ID", NULL};
    for (const char *const *v = vars; *v != NULL; v++) {
        const char *val = g_getenv(*v);
        g_string_append_printf(out, "%s: %s\n", *v, val != NULL ? val : "(unset)");
    }
    g_string_append_printf(out, "DISPLAY: %s, WAYLAND_DISPLAY: %s\n",
                           g_getenv("DISPLAY") ? "set" : "unset",
                           g_getenv("WAYLAND_DISPLAY") ? "set" : "unset");
}

/* The profile the logged run used: from its "qemu-lorelei: profile 'ID'" line. */
static char *profile_of_log(const char *log)
{
    static const char marker[] = "qemu-lorelei: profile '";
    const char *p = log != NULL ? strstr(log, marker) : NULL;
    if (p == NULL) {
        return NULL;
    }
    p += strlen(marker);
    gsize n = strcspn(p, "'\n");
    return p[n] == '\'' ? g_strndup(p, n) : NULL;
}

static char *read_log_tail(const char *path, gsize *skipped)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    *skipped = 0;
    if (!g_file_get_contents(path, &text, &len, NULL)) {
        return NULL;
    }
    if (len > MAX_LOG_IN_REPORT) {
        *skipped = len - MAX_LOG_IN_REPORT;
        return g_strdup(text + *skipped);
    }
    return g_steal_pointer(&text);
}

gboolean lo_cmd_report(int argc, char **argv, GError **error)
{
    g_autofree char *output = NULL, *log = NULL, *profile = NULL;
    gboolean no_doctor = FALSE;
    const GOptionEntry entries[] = {
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Write the report to FILE ('-': stdout)",
         "FILE"},
        {"log", 0, 0, G_OPTION_ARG_FILENAME, &log,
         "The run log to include (default: the newest of `run --log`)", "FILE"},
        {"profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
         "The profile to show resolved (default: the one the logged run used)", "ID"},
        {"no-doctor", 0, 0, G_OPTION_ARG_NONE, &no_doctor, "Leave out `doctor --json` (faster)",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "Write one text file for a bug report: qemu-lorelei's, the plugin ABI's and QEMU's\n"
        "versions, the host (kernel, system, session type), `doctor --json`, the resolved\n"
        "profile of the game, the sysroots and the newest `run --log` log. Your home folder\n"
        "is shown as ~ and your user and host names are replaced; the game's own output in\n"
        "the log is kept as it was: read the file before you share it.\n"
        "Default file: $XDG_STATE_HOME/qemu-lorelei/reports/report-DATE-TIME.txt.",
        "Examples:\n"
        "  qemu-lorelei report                # after `qemu-lorelei run --log ./game`\n"
        "  qemu-lorelei report --profile mygame --output bug.txt",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *log_path = log != NULL ? g_strdup(log) : lo_log_latest();
    gsize skipped = 0;
    g_autofree char *log_text = log_path != NULL ? read_log_tail(log_path, &skipped) : NULL;
    if (log != NULL && log_text == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "--log %s: cannot read it", log);
        return FALSE;
    }
    if (profile == NULL) {
        profile = profile_of_log(log_text);
    }

    GString *r = g_string_new(NULL);
    g_autofree char *when = g_date_time_format_iso8601(now);
    g_string_append_printf(r,
                           "qemu-lorelei bug report, made %s\n"
                           "Home folder shown as ~, user name as USER, host name as HOST.\n"
                           "\n===== versions =====\n",
                           when);
    g_autofree char *versions = lo_version_text();
    g_string_append(r, versions);
    add_host(r);
    if (!no_doctor) {
        const char *args[] = {"doctor", "--json", NULL};
        add_command(r, "checks", args, DOCTOR_TIMEOUT_MS);
    }
    if (profile != NULL) {
        const char *args[] = {"profile", "show", "--resolved", profile, NULL};
        add_command(r, "profile", args, COMMAND_TIMEOUT_MS);
    } else {
        g_string_append(r, "\n===== profile =====\n(none: no log names one; give --profile ID)\n");
    }
    const char *sysroots[] = {"sysroot", "list", NULL};
    add_command(r, "sysroots", sysroots, COMMAND_TIMEOUT_MS);
    if (log_text != NULL) {
        g_string_append_printf(r, "\n===== log: %s =====\n", log_path);
        if (skipped > 0) {
            g_string_append_printf(r, "(the first %" G_GSIZE_FORMAT " bytes are left out)\n",
                                   skipped);
        }
        g_string_append(r, log_text);
    } else {
        g_string_append(r, "\n===== log =====\n(none: run the game with `qemu-lorelei run --log "
                           "GAME` first)\n");
    }
    g_autofree char *raw = g_string_free(r, FALSE);
    g_autofree char *text =
        lo_report_scrub(raw, g_get_home_dir(), g_get_user_name(), g_get_host_name());

    if (output != NULL && strcmp(output, "-") == 0) {
        fputs(text, stdout);
        return TRUE;
    }
    if (output == NULL) {
        g_autofree char *dir =
            g_build_filename(g_get_user_state_dir(), "qemu-lorelei", "reports", NULL);
        if (g_mkdir_with_parents(dir, 0700) != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", dir,
                        g_strerror(errno));
            return FALSE;
        }
        g_autofree char *stamp = g_date_time_format(now, "%Y%m%d-%H%M%S");
        g_autofree char *name = g_strdup_printf("report-%s.txt", stamp);
        output = g_build_filename(dir, name, NULL);
    }
    if (!g_file_set_contents(output, text, -1, error)) {
        return FALSE;
    }
    printf("wrote %s (%" G_GSIZE_FORMAT " KiB)\n", output, (strlen(text) + 1023) / 1024);
    printf("  it holds: versions (qemu-lorelei %s, plugin ABI, QEMU), the host, %s%s%s, the "
           "sysroots %s\n",
           lo_git_commit(), no_doctor ? "" : "doctor --json, ",
           profile != NULL ? "the resolved profile " : "no profile", profile != NULL ? profile : "",
           log_text != NULL ? "and the log below" : "and no log (run with --log first)");
    if (log_text != NULL) {
        printf("  log: %s\n", log_path);
    }
    printf("  your home folder is shown as ~, your user and host names are replaced; the "
           "game's own output is kept: read it before you share it\n");
    return TRUE;
}
