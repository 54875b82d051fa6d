/*
 * qemu-lorelei binfmt enable|disable|status, the interpreter entry the
 * kernel runs for x86_64 programs once enabled (qemu-lorelei-binfmt), and
 * `run SCRIPT`, which needs it. binfmt.h explains the registration.
 */
#include "binfmt.h"
#include "commands.h"
#include "elf-check.h"
#include "errors.h"
#include "json-util.h"
#include "paths.h"
#include "run-log.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* Environment variables `run SCRIPT` sets for the programs the script starts:
 * the entry turns them back into run's options. */
#define ENV_SYSROOT  "LORELEI_SYSROOT"
#define ENV_NO_THUNK "LORELEI_NO_THUNK"

static gboolean write_control(const char *path, const char *text, const char *what, GError **error)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        int saved = errno;
        if (fd >= 0) {
            close(fd);
        }
        if (saved == EACCES || saved == EPERM) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot %s: %s needs root (%s)", what,
                        path, g_strerror(saved));
            lo_error_fix(error, "run it as root: sudo %s", g_get_prgname());
        } else if (saved == ENOENT) {
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                        "cannot %s: %s does not exist: binfmt_misc is not mounted", what, path);
            lo_error_fix(error, "mount it: sudo mount -t binfmt_misc binfmt_misc %s",
                         lo_binfmt_dir());
        } else {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot %s: writing %s: %s", what, path,
                        g_strerror(saved));
            if (saved == EINVAL) {
                lo_error_note(error, "the kernel refused the line; `qemu-lorelei binfmt enable "
                                     "--print` shows it");
            }
        }
        return FALSE;
    }
    close(fd);
    return TRUE;
}

static gboolean refuse_on_x86_64(GError **error)
{
    if (!lo_effective_host_is_x86_64()) {
        return TRUE;
    }
    g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                "this host runs x86_64 programs natively: a binfmt handler for them would "
                "capture every program on it, QEMU and qemu-lorelei included");
    lo_error_fix(error, "binfmt is for aarch64 and riscv64 hosts; here, run games with "
                        "`qemu-lorelei run`");
    return FALSE;
}

/* ---- enable / disable --------------------------------------------------------- */

gboolean lo_cmd_binfmt_enable(int argc, char **argv, GError **error)
{
    gboolean print = FALSE;
    const GOptionEntry entries[] = {
        {"print", 0, 0, G_OPTION_ARG_NONE, &print,
         "Print the registration line (for /etc/binfmt.d) instead of registering", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "Register qemu-lorelei with the kernel's binfmt_misc as the handler of x86_64 ELF\n"
        "programs, as FEX-Emu and Box64 do: then x86_64 programs started by any means (a\n"
        "game's start.sh, the programs a game starts, ./game in a shell) run through\n"
        "qemu-lorelei, with their profile. Needs root; lasts until reboot or `binfmt disable`.\n"
        "Refused on x86_64 hosts, where it would capture every program.",
        "Examples:\n"
        "  qemu-lorelei binfmt enable --print   # the line it registers\n"
        "  sudo qemu-lorelei binfmt enable\n"
        "  qemu-lorelei run ~/Games/Foo/start.sh   # the script's x86_64 programs go through "
        "binfmt\n"
        "  qemu-lorelei binfmt enable --print | sudo tee /etc/binfmt.d/qemu-lorelei.conf   # at "
        "every boot\n"
        "  sudo qemu-lorelei binfmt disable",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    g_autofree char *interp = lo_binfmt_find_interpreter(error);
    if (interp == NULL) {
        return FALSE;
    }
    g_autofree char *line = lo_binfmt_registration(interp, error);
    if (line == NULL) {
        return FALSE;
    }
    if (print) {
        printf("%s\n", line);
        return TRUE;
    }
    if (!refuse_on_x86_64(error)) {
        return FALSE;
    }
    g_auto(LoBinfmtEntry) current = {0};
    g_autofree char *entry_path = g_build_filename(lo_binfmt_dir(), LO_BINFMT_NAME, NULL);
    if (lo_binfmt_read_entry(LO_BINFMT_NAME, &current, NULL)) {
        if (strcmp(current.interpreter, interp) == 0 &&
            strcmp(current.flags, LO_BINFMT_FLAGS) == 0) {
            if (!current.enabled && !write_control(entry_path, "1", "enable the handler", error)) {
                return FALSE;
            }
            printf("binfmt: %s was registered already; it is enabled\n", LO_BINFMT_NAME);
            return TRUE;
        }
        /* Another build of the launcher: replace it. */
        if (!write_control(entry_path, "-1", "remove the old handler", error)) {
            return FALSE;
        }
    }
    g_autofree char *reg = g_build_filename(lo_binfmt_dir(), "register", NULL);
    if (!write_control(reg, line, "register the x86_64 handler", error)) {
        return FALSE;
    }
    printf("binfmt: registered %s: x86_64 programs now run through %s\n", LO_BINFMT_NAME, interp);
    printf("  until reboot; to keep it: qemu-lorelei binfmt enable --print | sudo tee "
           "/etc/binfmt.d/qemu-lorelei.conf\n");
    printf("  undo: sudo qemu-lorelei binfmt disable\n");
    return TRUE;
}

gboolean lo_cmd_binfmt_disable(int argc, char **argv, GError **error)
{
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "Remove qemu-lorelei's x86_64 handler from binfmt_misc (needs root). A file in\n"
        "/etc/binfmt.d that registers it at boot stays: delete it too.",
        "Examples:\n  qemu-lorelei binfmt status\n  sudo qemu-lorelei binfmt disable", NULL);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    g_auto(LoBinfmtEntry) current = {0};
    if (!lo_binfmt_read_entry(LO_BINFMT_NAME, &current, NULL)) {
        printf("binfmt: %s is not registered; nothing to do\n", LO_BINFMT_NAME);
        return TRUE;
    }
    g_autofree char *entry_path = g_build_filename(lo_binfmt_dir(), LO_BINFMT_NAME, NULL);
    if (!write_control(entry_path, "-1", "remove the handler", error)) {
        return FALSE;
    }
    printf("binfmt: removed %s; x86_64 programs no longer go through qemu-lorelei\n",
           LO_BINFMT_NAME);
    return TRUE;
}

/* ---- status ------------------------------------------------------------------- */

gboolean lo_cmd_binfmt_status(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "Show whether binfmt_misc is mounted and enabled, whether qemu-lorelei's x86_64\n"
        "handler is registered (interpreter, flags), and which other handlers would take\n"
        "x86_64 programs (qemu-user-binfmt, FEX-Emu, Box64): the kernel uses the one\n"
        "registered last. Reads /proc/sys/fs/binfmt_misc (or $LORELEI_BINFMT_DIR).",
        "Examples:\n  qemu-lorelei binfmt status\n  qemu-lorelei binfmt status --json", entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    const char *dir = lo_binfmt_dir();
    g_autofree char *status_path = g_build_filename(dir, "status", NULL);
    g_autofree char *status = NULL;
    gboolean mounted = g_file_get_contents(status_path, &status, NULL, NULL);
    gboolean enabled = mounted && g_str_has_prefix(status, "enabled");
    g_auto(LoBinfmtEntry) ours = {0};
    gboolean registered = mounted && lo_binfmt_read_entry(LO_BINFMT_NAME, &ours, NULL);
    g_autoptr(GPtrArray) others = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) other_interps = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = mounted ? g_dir_open(dir, 0, NULL) : NULL;
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (!strcmp(name, "status") || !strcmp(name, "register") || !strcmp(name, LO_BINFMT_NAME)) {
            continue;
        }
        g_auto(LoBinfmtEntry) e = {0};
        if (lo_binfmt_read_entry(name, &e, NULL) && e.enabled && lo_binfmt_entry_takes_x86_64(&e)) {
            g_ptr_array_add(others, g_strdup(name));
            g_ptr_array_add(other_interps, g_strdup(e.interpreter));
        }
    }
    if (json) {
        g_autoptr(cJSON) doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "dir", dir);
        cJSON_AddBoolToObject(doc, "mounted", mounted);
        cJSON_AddBoolToObject(doc, "enabled", enabled);
        cJSON *o = cJSON_AddObjectToObject(doc, "handler");
        cJSON_AddStringToObject(o, "name", LO_BINFMT_NAME);
        cJSON_AddBoolToObject(o, "registered", registered);
        cJSON_AddBoolToObject(o, "enabled", registered && ours.enabled);
        if (registered) {
            cJSON_AddStringToObject(o, "interpreter", ours.interpreter);
            cJSON_AddStringToObject(o, "flags", ours.flags);
        }
        cJSON *list = cJSON_AddArrayToObject(doc, "other_x86_64_handlers");
        for (guint i = 0; i < others->len; i++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", others->pdata[i]);
            cJSON_AddStringToObject(x, "interpreter", other_interps->pdata[i]);
            cJSON_AddItemToArray(list, x);
        }
        lo_print_json(doc);
        return TRUE;
    }
    if (!mounted) {
        printf("binfmt_misc: not mounted at %s\n", dir);
        printf("  mount it: sudo mount -t binfmt_misc binfmt_misc %s\n", dir);
        return TRUE;
    }
    printf("binfmt_misc: %s (%s)\n", dir, enabled ? "enabled" : "disabled for every handler");
    if (registered) {
        printf("%s: %s, interpreter %s, flags %s\n", LO_BINFMT_NAME,
               ours.enabled ? "enabled" : "disabled", ours.interpreter, ours.flags);
    } else {
        printf("%s: not registered (enable: sudo qemu-lorelei binfmt enable)\n", LO_BINFMT_NAME);
    }
    for (guint i = 0; i < others->len; i++) {
        printf("also takes x86_64 programs: %s (%s); the handler registered last wins\n",
               (char *)others->pdata[i], (char *)other_interps->pdata[i]);
    }
    return TRUE;
}

/* ---- the interpreter entry ----------------------------------------------------- */

static gboolean same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a != NULL && b != NULL && stat(a, &sa) == 0 && stat(b, &sb) == 0 &&
           sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

gboolean lo_binfmt_main(int argc, char **argv, GError **error)
{
    /* With flag P the kernel runs: qemu-lorelei-binfmt PATH ARGV0 ARG... */
    if (argc < 3) {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "%s is what the kernel runs for x86_64 programs once `qemu-lorelei binfmt "
                    "enable` registered it; it takes PATH ARGV0 [ARG…]",
                    LO_BINFMT_ENTRY);
        lo_error_fix(error, "run games with `qemu-lorelei run GAME`");
        return FALSE;
    }
    const char *path = argv[1];
    /* On an x86_64 host a registered handler would be asked to run QEMU and
     * itself: stop the loop here rather than in the kernel's ELOOP. */
    g_autofree char *qemu = lo_artifact_find(LO_ARTIFACT_QEMU, NULL);
    if (same_file(path, "/proc/self/exe") || same_file(path, qemu)) {
        g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                    "binfmt asked qemu-lorelei to run %s, which is QEMU or qemu-lorelei itself: "
                    "an x86_64 handler is registered on a host that runs x86_64 natively",
                    path);
        lo_error_fix(error, "remove it: sudo qemu-lorelei binfmt disable");
        return FALSE;
    }
    GPtrArray *run = g_ptr_array_new();
    g_ptr_array_add(run, (char *)"qemu-lorelei run");
    g_ptr_array_add(run, (char *)"--argv0");
    g_ptr_array_add(run, argv[2]);
    const char *sysroot = g_getenv(ENV_SYSROOT);
    if (sysroot != NULL && sysroot[0] != '\0') {
        g_ptr_array_add(run, (char *)"--sysroot");
        g_ptr_array_add(run, (char *)sysroot);
    }
    g_auto(GStrv) no_thunk =
        g_strsplit(g_getenv(ENV_NO_THUNK) ? g_getenv(ENV_NO_THUNK) : "", ",", -1);
    for (char **t = no_thunk; *t != NULL; t++) {
        if (**t != '\0') {
            g_ptr_array_add(run, (char *)"--no-thunk");
            g_ptr_array_add(run, *t);
        }
    }
    /* The folders a launch script put in LD_LIBRARY_PATH: the game's own
     * libraries. (The stub folders a parent run set come first anyway.) */
    g_auto(GStrv) ld =
        g_strsplit(g_getenv("LD_LIBRARY_PATH") ? g_getenv("LD_LIBRARY_PATH") : "", ":", -1);
    g_autoptr(GPtrArray) kept = g_ptr_array_new();
    for (char **d = ld; *d != NULL; d++) {
        if ((*d)[0] == '/' && strchr(*d, ',') == NULL) { /* QEMU's -E cannot carry a ',' */
            g_ptr_array_add(kept, *d);
        }
    }
    g_ptr_array_add(kept, NULL);
    g_autofree char *library_path = g_strjoinv(":", (char **)kept->pdata);
    if (library_path[0] != '\0') {
        g_ptr_array_add(run, (char *)"--library-path");
        g_ptr_array_add(run, library_path);
    }
    g_ptr_array_add(run, (char *)"--");
    for (int i = 1; i < argc; i++) {
        if (i != 2) {
            g_ptr_array_add(run, argv[i]);
        }
    }
    g_ptr_array_add(run, NULL);
    g_set_prgname("qemu-lorelei run");
    gboolean ok = lo_cmd_run((int)run->len - 1, (char **)run->pdata, error);
    g_ptr_array_unref(run);
    return ok;
}

/* ---- run SCRIPT ----------------------------------------------------------------- */

gboolean lo_file_is_script(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    char head[2] = {0};
    gboolean script = fd >= 0 && read(fd, head, 2) == 2 && head[0] == '#' && head[1] == '!';
    if (fd >= 0) {
        close(fd);
    }
    return script;
}

gboolean lo_binfmt_run_script(const char *script, char **args, const char *sysroot, char **no_thunk,
                              const char *profile, gboolean dry_run, GError **error)
{
    g_autofree char *shown = lo_printable(script, 200);
    if (!lo_binfmt_active()) {
        lo_elf_check_x86_64(script, error); /* names the script's interpreter */
        lo_error_fix(error, "or let qemu-lorelei take every x86_64 program the script starts: "
                            "sudo qemu-lorelei binfmt enable, then run the script again");
        return FALSE;
    }
    if (profile != NULL) {
        lo_usage_error(error, "--profile names one program's profile; a script starts several "
                              "(each gets its own)");
        return FALSE;
    }
    /* The script runs on the host's shell; binfmt sends its x86_64 programs
     * to qemu-lorelei-binfmt, which reads these back. */
    if (sysroot != NULL) {
        g_setenv(ENV_SYSROOT, sysroot, TRUE);
    }
    if (no_thunk != NULL) {
        g_autofree char *list = g_strjoinv(",", no_thunk);
        g_setenv(ENV_NO_THUNK, list, TRUE);
    }
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (char *)script);
    for (char **a = args; a != NULL && *a != NULL; a++) {
        g_ptr_array_add(argv, *a);
    }
    g_ptr_array_add(argv, NULL);
    if (dry_run) {
        g_autofree char *line = lo_shell_join((const char *const *)argv->pdata);
        printf("%s\n", line);
        g_printerr("qemu-lorelei: a script: it runs on the host; binfmt sends its x86_64 programs "
                   "through qemu-lorelei\n");
        g_ptr_array_unref(argv);
        return TRUE;
    }
    g_printerr("qemu-lorelei: running the script %s; binfmt sends its x86_64 programs through "
               "qemu-lorelei\n",
               shown);
    if (lo_run_log_active()) {
        int status = 0, sig = 0;
        if (!lo_run_log_exec((char **)argv->pdata, environ, &status, &sig, error)) {
            return FALSE;
        }
        lo_run_log_finish(status, sig);
    }
    fflush(stdout);
    fflush(stderr);
    execv(script, (char **)argv->pdata);
    int saved = errno;
    g_ptr_array_unref(argv);
    g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot run the script %s: %s", shown,
                g_strerror(saved));
    lo_error_fix(error, "check its first line (#!) names an interpreter this host has");
    return FALSE;
}
