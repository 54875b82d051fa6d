/*
 * qemu-lorelei run: find the game's profile, check the sysroot and the parts,
 * build QEMU's command line (qemu-cmdline.h) and exec it, so the game's exit
 * status is the launcher's.
 */
#include "commands.h"
#include "elf-check.h"
#include "errors.h"
#include "json-util.h"
#include "paths.h"
#include "profile-store.h"
#include "qemu-cmdline.h"
#include "sysroot-store.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

typedef struct {
    char *profile;
    char *sysroot;
    char **no_thunk;
    gboolean dry_run;
    gboolean json;
    gboolean verbose;
} RunOptions;

static void note(const RunOptions *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(const RunOptions *o, const char *fmt, ...)
{
    if (!o->verbose) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_printerr("qemu-lorelei: %s\n", text);
}

/* Picks the profile: --profile, else the best match for the game. */
static char *choose_profile(const RunOptions *o, LoProfileStore *store, const char *typed,
                            const char *game, const char *sha256, char **how)
{
    if (o->profile != NULL) {
        *how = g_strdup("chosen with --profile");
        return g_strdup(o->profile);
    }
    g_autofree char *typed_base = g_path_get_basename(typed);
    g_autofree char *real = g_canonicalize_filename(game, NULL);
    g_autofree char *resolved = realpath(real, NULL);
    g_autofree char *real_base = g_path_get_basename(resolved != NULL ? resolved : real);
    const char *names[] = {typed_base, real_base, NULL};
    LoMatch m = lo_profile_match(store, names, sha256);
    char *id = g_steal_pointer(&m.id);
    if (id != NULL) {
        *how = g_strdup(m.kind == LO_MATCH_SHA256 ? "matched by sha256"
                                                  : "matched by file name only; this build's "
                                                    "sha256 is not listed");
        if (m.also->len > 0) {
            g_ptr_array_add(m.also, NULL);
            g_autofree char *others = g_strjoinv(", ", (char **)m.also->pdata);
            g_printerr("qemu-lorelei: note: %s also match; using '%s' (choose with --profile)\n",
                       others, id);
        }
    }
    lo_match_clear(&m);
    return id;
}

/* The sysroot for -L, or NULL for none (only on x86_64 hosts). */
static gboolean choose_sysroot(const RunOptions *o, const LoRunSettings *s, const LoResolved *r,
                               char **path, GError **error)
{
    *path = NULL;
    if (s->sysroot != NULL) {
        g_autoptr(LoSysrootInfo) info = lo_sysroot_get(s->sysroot, error);
        if (info == NULL) {
            g_autofree char *from = lo_resolved_origin_text(r, "sysroot");
            g_prefix_error(error, "%s: ", o->sysroot != NULL ? "--sysroot" : from);
            return FALSE;
        }
        *path = g_strdup(info->path);
        note(o, "sysroot: %s (%s)", info->name, info->path);
        return TRUE;
    }
    g_autofree char *fallback = lo_sysroot_path(LO_DEFAULT_SYSROOT);
    if (g_file_test(fallback, G_FILE_TEST_IS_DIR)) {
        *path = g_steal_pointer(&fallback);
        note(o, "sysroot: '%s' (none named; using the default one at %s)", LO_DEFAULT_SYSROOT,
             *path);
        return TRUE;
    }
    if (lo_effective_host_is_x86_64()) {
        note(o, "sysroot: none (this x86_64 host's own libraries serve the game; no -L)");
        return TRUE;
    }
    g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                "no sysroot: this host is %s, so the game needs an x86_64 sysroot for its "
                "libraries, and neither the profile nor --sysroot names one",
                lo_effective_host_arch());
    lo_error_fix(error,
                 "create a default one: qemu-lorelei sysroot create %s --from-archive "
                 "ROOTFS.tar.xz",
                 LO_DEFAULT_SYSROOT);
    lo_error_note(error, "     (an x86_64 root file system, e.g. a Debian amd64 rootfs; or "
                         "--from-debs DIR, --from-dir DIR)");
    return FALSE;
}

static void print_plan(const RunOptions *o, const LoCommand *cmd, const char *game,
                       const char *profile, const char *how, const char *sysroot)
{
    if (!o->json) {
        g_autofree char *line = lo_shell_join((const char *const *)cmd->argv->pdata);
        printf("%s\n", line);
        return;
    }
    g_autoptr(cJSON) doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "game", game);
    if (profile != NULL) {
        cJSON *p = cJSON_AddObjectToObject(doc, "profile");
        cJSON_AddStringToObject(p, "id", profile);
        cJSON_AddStringToObject(p, "how", how);
    } else {
        cJSON_AddNullToObject(doc, "profile");
    }
    if (sysroot != NULL) {
        cJSON_AddStringToObject(doc, "sysroot", sysroot);
    } else {
        cJSON_AddNullToObject(doc, "sysroot");
    }
    cJSON *argv = cJSON_AddArrayToObject(doc, "argv");
    for (guint i = 0; cmd->argv->pdata[i] != NULL; i++) {
        cJSON_AddItemToArray(argv, cJSON_CreateString(cmd->argv->pdata[i]));
    }
    cJSON *set = cJSON_AddObjectToObject(doc, "env_set");
    for (guint i = 0; i < cmd->env_set->len; i++) {
        const char *kv = cmd->env_set->pdata[i];
        g_autofree char *key = g_strndup(kv, strcspn(kv, "="));
        cJSON_AddStringToObject(set, key, kv + strlen(key) + 1);
    }
    cJSON *unset = cJSON_AddArrayToObject(doc, "env_unset");
    for (guint i = 0; i < cmd->env_unset->len; i++) {
        cJSON_AddItemToArray(unset, cJSON_CreateString(cmd->env_unset->pdata[i]));
    }
    lo_print_json(doc);
}

static gboolean run(RunOptions *o, int argc, char **argv, GError **error)
{
    if (argc < 2) {
        lo_usage_error(error, "no game given");
        return FALSE;
    }
    if (o->json && !o->dry_run) {
        lo_usage_error(error, "--json describes the command without running it; add --dry-run");
        return FALSE;
    }
    const char *typed = argv[1];
    g_autofree char *game = lo_find_program(typed, error);
    if (game == NULL || !lo_elf_check_x86_64(game, error)) {
        return FALSE;
    }
    g_autofree char *sha256 = lo_sha256_file(game, error);
    if (sha256 == NULL) {
        return FALSE;
    }
    note(o, "game: %s (sha256 %s)", game, sha256);

    g_autoptr(cJSON) cli = lo_cli_layer(o->sysroot, o->no_thunk, error);
    if (cli == NULL) {
        return FALSE;
    }
    g_autoptr(LoProfileStore) store = lo_profile_store_load(error);
    if (store == NULL) {
        return FALSE;
    }
    lo_profile_store_warn(store);
    g_autofree char *how = NULL;
    g_autofree char *id = choose_profile(o, store, typed, game, sha256, &how);
    g_autoptr(LoResolved) resolved = lo_profile_resolve(store, id, cli, error);
    if (resolved == NULL) {
        return FALSE;
    }
    g_autofree char *game_shown = lo_printable(typed, 80);
    if (id != NULL) {
        const LoProfileSource *top = g_ptr_array_index(resolved->sources, 0);
        g_printerr("qemu-lorelei: profile '%s' (%s; %s)\n", id, how, lo_layer_names[top->layer]);
    } else {
        g_printerr("qemu-lorelei: no profile matches '%s'; using the defaults\n", game_shown);
    }
    g_autoptr(LoRunSettings) settings = lo_run_settings_from_profile(resolved->merged);
    if (o->verbose) {
        for (int i = 0; i < LO_N_THUNKS; i++) {
            g_autofree char *path = g_strdup_printf("thunks.%s", lo_thunk_names[i]);
            g_autofree char *from = lo_resolved_origin_text(resolved, path);
            note(o, "thunk %s: %s (%s)", lo_thunk_names[i], settings->thunks[i] ? "on" : "off",
                 from);
        }
        g_autofree char *from = lo_resolved_origin_text(resolved, "qemu.cpu");
        note(o, "cpu: %s (%s)", settings->cpu, from);
    }

    g_autofree char *sysroot = NULL;
    if (!choose_sysroot(o, settings, resolved, &sysroot, error)) {
        return FALSE;
    }
    gboolean thunks = FALSE;
    for (int i = 0; i < LO_N_THUNKS; i++) {
        thunks |= settings->thunks[i];
    }
    g_autofree char *qemu = lo_artifact_find(LO_ARTIFACT_QEMU, error);
    if (qemu == NULL) {
        return FALSE;
    }
    g_autofree char *plugin = NULL, *preload = NULL, *guestlibs = NULL;
    if (thunks) {
        if ((plugin = lo_artifact_find(LO_ARTIFACT_PLUGIN, error)) == NULL ||
            (preload = lo_artifact_find(LO_ARTIFACT_PRELOAD, error)) == NULL ||
            (guestlibs = lo_artifact_find(LO_ARTIFACT_GUESTLIBS, error)) == NULL) {
            return FALSE;
        }
        note(o, "plugin: %s", plugin);
        note(o, "preload shim: %s", preload);
        note(o, "guest libraries: %s", guestlibs);
    } else {
        note(o, "no thunk enabled: plain qemu-user, without plugin and preload shim");
    }
    note(o, "qemu: %s", qemu);
    const char *old_preload = g_getenv("LD_PRELOAD");
    if (thunks && old_preload != NULL && old_preload[0] != '\0') {
        note(o, "your LD_PRELOAD (%s) is replaced by the preload shim for QEMU", old_preload);
    }

    LoCommandInput in = {
        .qemu = qemu,
        .plugin = plugin,
        .preload = preload,
        .guestlibs = guestlibs,
        .sysroot = sysroot,
        .game = game,
        .game_args = (const char *const *)argv + 2,
        .settings = settings,
        .environ = (const char *const *)environ,
        /* The plugin then names each host library file it loads. */
        .plugin_verbose = o->verbose,
    };
    g_auto(LoCommand) cmd = {0};
    if (!lo_command_build(&in, &cmd, error)) {
        return FALSE;
    }
    for (guint i = 0; i < cmd.env_unset->len; i++) {
        note(o, "QEMU's environment: unset %s", (char *)cmd.env_unset->pdata[i]);
    }
    for (guint i = 0; i < cmd.env_set->len; i++) {
        note(o, "QEMU's environment: %s", (char *)cmd.env_set->pdata[i]);
    }
    if (o->dry_run) {
        print_plan(o, &cmd, game, id, how, sysroot);
        return TRUE;
    }
    if (o->verbose) {
        g_autofree char *line = lo_shell_join((const char *const *)cmd.argv->pdata);
        note(o, "exec: %s", line);
    }
    fflush(stdout);
    fflush(stderr);
    execve(qemu, (char **)cmd.argv->pdata, (char **)cmd.envp->pdata);
    int saved = errno;
    g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot start QEMU (%s): %s", qemu,
                g_strerror(saved));
    lo_error_fix(error,
                 "check that %s is an executable qemu-x86_64 for this host, or set "
                 "LORELEI_QEMU",
                 qemu);
    return FALSE;
}

gboolean lo_cmd_run(int argc, char **argv, GError **error)
{
    RunOptions o = {0};
    const GOptionEntry entries[] = {
        {"profile", 'p', 0, G_OPTION_ARG_STRING, &o.profile,
         "Use profile ID instead of the one matching the game", "ID"},
        {"sysroot", 's', 0, G_OPTION_ARG_STRING, &o.sysroot,
         "Use the x86_64 sysroot NAME (see `sysroot list`)", "NAME"},
        {"no-thunk", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.no_thunk,
         "Do not forward LIB (sdl2, gl or vulkan) to the host: the guest's own library runs "
         "emulated (repeatable)",
         "LIB"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &o.dry_run,
         "Print the QEMU command instead of running it", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &o.json,
         "With --dry-run: print the command, environment changes and profile as JSON", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose,
         "Explain every choice (profile, sysroot, parts, environment) on stderr, and have the "
         "plugin log the host libraries it loads",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "GAME [ARGS…]",
        "Run the x86_64 program GAME under qemu-x86_64 with SDL2, OpenGL and Vulkan forwarded to\n"
        "the host. The profile is found by the program's sha256, then its file name; without\n"
        "one the defaults apply (all three libraries forwarded, CPU model max). The exit status\n"
        "is the game's. Options must come before GAME; everything after it goes to the game.",
        "Examples:\n"
        "  qemu-lorelei run ./game\n"
        "  qemu-lorelei run --verbose ./game --windowed\n"
        "  qemu-lorelei run --sysroot debian12 --no-thunk vulkan ./game\n"
        "  qemu-lorelei run --dry-run --profile glxgears /usr/bin/glxgears -info\n"
        "\n"
        "The command is: qemu-x86_64 [-L SYSROOT] -cpu MODEL -plugin PLUGIN,lib=… -E "
        "LD_LIBRARY_PATH=…\n"
        "  [-E SDL_DYNAMIC_API=…] -E KEY=VALUE… -U LD_PRELOAD GAME [PROFILE ARGS] [ARGS]",
        entries);
    /* Stop at GAME: its own options are the game's, not ours. */
    g_option_context_set_strict_posix(ctx, TRUE);
    gboolean ok = lo_option_parse(ctx, &argc, &argv, error);
    if (ok) {
        /* GOption leaves a "--" that ended our options; it is not the game. */
        int first = 1;
        if (argc > 1 && strcmp(argv[1], "--") == 0) {
            first = 2;
        }
        argv[first - 1] = argv[0];
        ok = run(&o, argc - (first - 1), argv + (first - 1), error);
    }
    g_free(o.profile);
    g_free(o.sysroot);
    g_strfreev(o.no_thunk);
    return ok;
}
