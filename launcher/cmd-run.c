/*
 * qemu-lorelei run: find the game's profile, check the sysroot and the parts,
 * build QEMU's command line (qemu-cmdline.h) and exec it, so the game's exit
 * status is the launcher's.
 */
#include "commands.h"
#include "elf-check.h"
#include "elf-deps.h"
#include "error-dialog.h"
#include "errors.h"
#include "guest-tunables.h"
#include "game-library.h"
#include "json-util.h"
#include "paths.h"
#include "preflight.h"
#include "profile-store.h"
#include "qemu-cmdline.h"
#include "sha-cache.h"
#include "run-log.h"
#include "sysroot-store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

typedef struct {
    char *profile;
    char *sysroot;
    char *gdb;
    char **no_thunk;
    gboolean no_sdl12_compat;
    gboolean keep_rep_strings;
    gboolean keep_sse42_strings;
    gboolean keep_dynamic_cast;
    gboolean dry_run;
    gboolean json;
    gboolean verbose;
    gboolean no_check;
    char *argv0;
    char *library_path;
    gboolean log;
    char *log_file;    /* NULL: the default folder */
    int original_argc; /* the command line as typed, for the log */
    char **original_argv;
    gboolean error_dialog;
    gboolean profile_libs;
    char *profile_out; /* --profile-libs=FILE; NULL: the table only */
} RunOptions;

/* --error-dialog: what the game was, for the dialog shown after it ended. */
static char *dialog_game;

static void dialog_after_exit(int status, int sig)
{
    lo_error_dialog_for_exit(dialog_game, status, sig, lo_run_log_path());
}

/* --log[=FILE] and --profile-libs[=FILE]: GOption would take the word after
 * a bare --log as its optional value (the game's path!), so --log=FILE
 * becomes --log-file FILE (--profile-libs=FILE --profile-libs-file FILE)
 * before parsing and the bare options stay plain flags. Returns a new argv. */
static char **split_log_option(int *argc, char **argv)
{
    GPtrArray *out = g_ptr_array_new();
    gboolean options = TRUE;
    for (int i = 0; i < *argc; i++) {
        if (i > 0 && options && (argv[i][0] != '-' || strcmp(argv[i], "--") == 0)) {
            options = FALSE; /* the game and its arguments: untouched */
        }
        if (i > 0 && options && g_str_has_prefix(argv[i], "--log=")) {
            g_ptr_array_add(out, (char *)"--log-file");
            g_ptr_array_add(out, argv[i] + 6);
        } else if (i > 0 && options && g_str_has_prefix(argv[i], "--profile-libs=")) {
            g_ptr_array_add(out, (char *)"--profile-libs-file");
            g_ptr_array_add(out, argv[i] + strlen("--profile-libs="));
        } else {
            g_ptr_array_add(out, argv[i]);
        }
    }
    *argc = (int)out->len;
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

static void note(const RunOptions *o, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(const RunOptions *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *shown = lo_printable_text(text);
    if (o->verbose) {
        g_printerr("qemu-lorelei: %s\n", shown); /* into the log too */
    } else {
        lo_run_log_line("qemu-lorelei: %s", shown); /* the log has every choice */
    }
}

/* Whether the program itself names libSDL-1.2.so.0 (DT_NEEDED). */
static gboolean needs_sdl12(const char *game)
{
    g_auto(LoElfDeps) deps = {0};
    if (!lo_elf_deps_read_file(game, &deps, NULL)) {
        return FALSE;
    }
    for (guint i = 0; i < deps.needed->len; i++) {
        if (strcmp(deps.needed->pdata[i], "libSDL-1.2.so.0") == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

/* SDL 1.2 games: sdl12-compat's folder when the game needs libSDL-1.2, SDL2
 * is forwarded and the guest's root (the sysroot, else the host's /) has
 * sdl12-compat; NULL otherwise, and every other game's command stays as it
 * was. */
static char *choose_sdl12_compat(const RunOptions *o, const char *game,
                                 const LoRunSettings *settings, const LoResolved *resolved,
                                 const char *sysroot)
{
    if (!needs_sdl12(game)) {
        return NULL;
    }
    g_autofree char *from = lo_resolved_origin_text(resolved, "sdl12_compat");
    if (!settings->sdl12_compat) {
        note(o, "SDL 1.2: the classic libSDL-1.2, emulated (sdl12_compat false: %s)", from);
        return NULL;
    }
    if (!settings->thunks[LO_THUNK_SDL2]) {
        note(o, "SDL 1.2: the classic libSDL-1.2, emulated (sdl12-compat needs SDL2 forwarded)");
        return NULL;
    }
    g_autofree char *lib = lo_sdl12_compat_library(sysroot);
    if (!g_file_test(lib, G_FILE_TEST_EXISTS)) {
        note(o,
             "SDL 1.2: the classic libSDL-1.2, emulated: %s is missing (install libsdl1.2-compat "
             "%s to forward SDL 1.2 games through SDL2)",
             lib, sysroot != NULL ? "into the sysroot: sysroot create --package" : "(amd64)");
        return NULL;
    }
    note(o, "SDL 1.2: sdl12-compat over the forwarded SDL2 (%s)", lib);
    return g_strdup(LO_SDL12_COMPAT_DIR);
}

/* The names the game goes by: as typed, and the file it resolves to. */
static GStrv game_names(const char *typed, const char *game)
{
    g_autofree char *real = g_canonicalize_filename(game, NULL);
    g_autofree char *resolved = realpath(real, NULL);
    char **names = g_new0(char *, 3);
    names[0] = g_path_get_basename(typed);
    names[1] = g_path_get_basename(resolved != NULL ? resolved : real);
    return names;
}

/* Picks the profile: --profile, else the best match for the game. */
static char *choose_profile(const RunOptions *o, LoProfileStore *store, const char *const *names,
                            const char *sha256, char **how)
{
    if (o->profile != NULL) {
        *how = g_strdup("chosen with --profile");
        return g_strdup(o->profile);
    }
    LoMatch m = lo_profile_match(store, names, sha256);
    char *id = g_steal_pointer(&m.id);
    if (id != NULL) {
        *how = g_strdup(m.kind == LO_MATCH_SHA256 ? "matched by sha256"
                        : sha256 != NULL
                            ? "matched by file name only; this build's sha256 is not listed"
                            : "matched by file name only; it lists no sha256 for this name");
        if (m.also->len > 0) {
            g_ptr_array_add(m.also, NULL);
            g_autofree char *others = g_strjoinv(", ", (char **)m.also->pdata);
            g_printerr("qemu-lorelei: note: %s also match; using '%s' (%s layer; your own "
                       "profiles win over community ones, and those over built-in ones; choose "
                       "with --profile)\n",
                       others, id, lo_layer_names[m.layer]);
        }
    }
    lo_match_clear(&m);
    return id;
}

/* Stops the run on a broken profile file that would have applied to it:
 * running with the defaults instead would silently drop its settings. */
static gboolean refuse_broken_profile(LoProfileStore *store, const char *id,
                                      const char *const *names, const char *sha256, GError **error)
{
    g_autofree char *why = NULL;
    const LoSkippedFile *f = lo_profile_store_broken_match(store, id, names, sha256, &why);
    if (f == NULL) {
        return TRUE;
    }
    g_set_error_literal(error, LO_ERROR, LO_EXIT_INVALID, f->problem);
    lo_error_note(error,
                  "this file would apply to the game (%s), so qemu-lorelei stops rather than "
                  "run without what it sets",
                  why);
    g_autofree char *dir = g_path_get_dirname(f->path);
    lo_error_fix(error,
                 "correct it (`qemu-lorelei profile validate %s` lists every problem), or move "
                 "it out of %s to run without it",
                 f->path, dir);
    return FALSE;
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
    g_autofree char *suite = lo_sysroot_suggested_suite();
    lo_error_fix(error, "create a default one: qemu-lorelei sysroot create %s --from-debian %s",
                 LO_DEFAULT_SYSROOT, suite);
    lo_error_note(error, "     (downloads the x86_64 libraries games use from Debian; or "
                         "--from-multiarch, --from-archive ROOTFS.tar.xz, --from-debs DIR)");
    return FALSE;
}

static void print_plan(const RunOptions *o, const LoCommand *cmd, const char *game,
                       const char *profile, const char *how, const char *sysroot)
{
    if (!o->json) {
        /* QEMU's environment changes too (LD_PRELOAD, the profile's
         * variables, the QEMU_* removed): the line is what runs, and pasted
         * into a shell it runs the same. */
        g_autoptr(GPtrArray) words = g_ptr_array_new();
        if (cmd->env_set->len + cmd->env_unset->len > 0) {
            g_ptr_array_add(words, "env");
        }
        for (guint i = 0; i < cmd->env_unset->len; i++) {
            g_ptr_array_add(words, "-u");
            g_ptr_array_add(words, cmd->env_unset->pdata[i]);
        }
        for (guint i = 0; i < cmd->env_set->len; i++) {
            g_ptr_array_add(words, cmd->env_set->pdata[i]);
        }
        for (guint i = 0; cmd->argv->pdata[i] != NULL; i++) {
            g_ptr_array_add(words, cmd->argv->pdata[i]);
        }
        g_ptr_array_add(words, NULL);
        g_autofree char *line = lo_shell_join((const char *const *)words->pdata);
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
    if (o->profile_out != NULL && o->profile_out[0] == '\0') {
        lo_usage_error(error, "--profile-libs=FILE: the file name is empty");
        return FALSE;
    }
    if (o->json && !o->dry_run) {
        lo_usage_error(error, "--json describes the command without running it; add --dry-run");
        return FALSE;
    }
    g_autofree char *gdb_socket = NULL;
    if (o->gdb != NULL) {
        /* QEMU reads a number as a TCP port, which it opens on every
         * network interface: only a socket, reachable from this machine
         * alone (and its permissions), is offered. */
        g_autofree char *shown = lo_printable(o->gdb, 80);
        if (o->gdb[0] == '\0' || strspn(o->gdb, "0123456789") == strlen(o->gdb)) {
            lo_usage_error(error,
                           "--gdb %s: give a Unix socket path (QEMU's TCP port would listen on "
                           "every network interface), e.g. --gdb /tmp/game.sock",
                           shown);
            return FALSE;
        }
        gdb_socket = g_canonicalize_filename(o->gdb, NULL);
    }
    if (o->log && !o->dry_run &&
        !lo_run_log_open(o->log_file, argv[1], o->original_argc, o->original_argv, error)) {
        return FALSE;
    }
    /* A bare word that is the id of a game you added is that game. */
    g_autoptr(LoGame) entry = NULL;
    if (!lo_library_lookup_for_run(argv[1], &entry, error) ||
        (entry != NULL && !lo_library_enter(entry, error))) {
        return FALSE;
    }
    if (entry != NULL) {
        note(o, "game '%s' of your library: %s, started in %s", entry->id, entry->path,
             entry->workdir);
        if (o->profile == NULL && entry->profile != NULL) {
            o->profile = g_strdup(entry->profile);
        }
    }
    const char *typed = entry != NULL ? entry->path : argv[1];
    g_autofree char *game = lo_find_program(typed, error);
    if (game != NULL && lo_file_is_script(game)) {
        return lo_binfmt_run_script(game, argv + 2, o->sysroot, o->no_thunk, o->profile, o->dry_run,
                                    error);
    }
    if (game == NULL) {
        return FALSE;
    }
    /* Opened once: checked, hashed and run through this descriptor, so the
     * file QEMU runs is the one the sha256 matched, whatever takes its
     * path meanwhile. */
    lo_autofd int game_fd = lo_open_program(game, error);
    if (game_fd < 0 || !lo_elf_check_x86_64_fd(game_fd, game, error)) {
        return FALSE;
    }
    g_autoptr(cJSON) cli = lo_cli_layer(o->sysroot, o->no_thunk, error);
    if (cli == NULL) {
        return FALSE;
    }
    if (o->no_sdl12_compat) {
        cJSON_AddFalseToObject(cli, "sdl12_compat");
    }
    g_autoptr(LoProfileStore) store = lo_profile_store_open(error);
    if (store == NULL) {
        return FALSE;
    }
    g_auto(GStrv) names = game_names(typed, game);
    /* The sha256, from the cache when this version of the file was hashed
     * before; computed only when it could change which profile applies. */
    g_autofree char *sha256 = lo_sha256_cached(game_fd);
    if (sha256 != NULL) {
        note(o, "game: %s (sha256 %s, remembered from an earlier launch)", game, sha256);
    } else if (o->profile == NULL &&
               lo_profile_store_wants_sha256(store, (const char *const *)names)) {
        if ((sha256 = lo_sha256_of_game(game_fd, game, error)) == NULL) {
            return FALSE;
        }
        note(o, "game: %s (sha256 %s)", game, sha256);
    } else {
        note(o, "game: %s (not hashed: %s)", game,
             o->profile != NULL ? "--profile chose the profile"
                                : "no profile lists a sha256 for this file name");
    }
    g_autofree char *how = NULL;
    g_autofree char *id = choose_profile(o, store, (const char *const *)names, sha256, &how);
    if (!refuse_broken_profile(store, id, (const char *const *)names, sha256, error)) {
        return FALSE;
    }
    lo_profile_store_warn(store);
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
    settings->argv0 = g_strdup(o->argv0);
    settings->library_path = g_strdup(o->library_path);
    settings->keep_rep_strings = o->keep_rep_strings;
    settings->keep_sse42_strings = o->keep_sse42_strings;
    settings->keep_dynamic_cast = o->keep_dynamic_cast;
    if (o->verbose) {
        for (int i = 0; i < LO_N_THUNKS; i++) {
            g_autofree char *path = g_strdup_printf("thunks.%s", lo_thunk_names[i]);
            g_autofree char *from = lo_resolved_origin_text(resolved, path);
            note(o, "thunk %s: %s (%s)", lo_thunk_names[i], settings->thunks[i] ? "on" : "off",
                 from);
        }
        g_autofree char *from = lo_resolved_origin_text(resolved, "qemu.cpu");
        if (g_hash_table_contains(resolved->origin, "qemu.cpu")) {
            note(o, "cpu: %s (%s)", settings->cpu, from);
        } else {
            note(o, "cpu: %s (default%s)", settings->cpu,
                 strcmp(settings->cpu, LO_DEFAULT_CPU) != 0
                     ? ": the guest's own GL or Vulkan driver needs a CPU model LLVM knows"
                     : "");
        }
        if (o->keep_rep_strings) {
            note(o, "cpu features: as the model has them (--keep-rep-strings)");
        } else {
            note(o,
                 "cpu features: fast REP strings hidden (-cpu %s" LO_CPU_HIDDEN_FEATURES
                 "): QEMU runs REP MOVSB/STOSB an element at a time, so glibc's memcpy and "
                 "memset are faster with their vector loops",
                 settings->cpu);
        }
        if (o->keep_sse42_strings) {
            note(o, "guest glibc: string functions chosen from CPUID (--keep-sse42-strings)");
        } else {
            note(o, "guest glibc: GLIBC_TUNABLES gets glibc.cpu.hwcaps=" LO_GUEST_GLIBC_HWCAPS
                    " (unless it sets glibc.cpu.hwcaps itself or has a ','): QEMU runs SSE4.2's "
                    "PCMPISTRI byte by byte, so strcspn, strspn and strpbrk are faster in their "
                    "SSE2 versions");
        }
        if (o->keep_dynamic_cast) {
            note(o, "guest C++ runtime: every dynamic_cast walks the class hierarchy "
                    "(--keep-dynamic-cast)");
        } else {
            note(o, "guest C++ runtime: dynamic_cast answers are cached per thread "
                    "(LD_PRELOAD=" LORELEI_CASTCACHE_LIBRARY " in the guest, with thunks on): "
                    "libstdc++'s walk of the class hierarchy is slow emulated");
        }
    }
    if (lo_cpu_breaks_emulated_drivers(settings->cpu) &&
        (!settings->thunks[LO_THUNK_GL] || !settings->thunks[LO_THUNK_VULKAN])) {
        g_autofree char *from = lo_resolved_origin_text(resolved, "qemu.cpu");
        g_printerr("qemu-lorelei: warning: CPU model %s (%s) with the guest's own %s: its LLVM "
                   "takes this model for a 32-bit CPU and aborts when it compiles a shader\n"
                   "  fix: drop qemu.cpu from the profile, or set it to %s\n",
                   settings->cpu, from, !settings->thunks[LO_THUNK_GL] ? "OpenGL" : "Vulkan",
                   LO_EMULATED_DRIVERS_CPU);
    }

    g_autofree char *sysroot = NULL;
    if (!choose_sysroot(o, settings, resolved, &sysroot, error)) {
        return FALSE;
    }
    if (sysroot != NULL) {
        g_autofree char *sysroot_name = g_path_get_basename(sysroot);
        if (!lo_sysroot_check_arch(sysroot_name, sysroot, error)) {
            return FALSE;
        }
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
    g_autofree char *profile_plugin = NULL, *profile_out = NULL;
    if (o->profile_libs) {
        if ((profile_plugin = lo_artifact_find(LO_ARTIFACT_PROFILE_PLUGIN, error)) == NULL ||
            !lo_elf_check_host_part(profile_plugin, "the profiling plugin",
                                    "LORELEI_PROFILE_PLUGIN", error)) {
            return FALSE;
        }
        /* Written at exit by QEMU, whose working folder is the game's by
         * then: a relative name must mean the folder it was typed in. */
        if (o->profile_out != NULL) {
            profile_out = g_canonicalize_filename(o->profile_out, NULL);
        }
        note(o, "profiling plugin: %s (report: stderr at exit%s%s)", profile_plugin,
             profile_out != NULL ? " and " : "", profile_out != NULL ? profile_out : "");
    }
    note(o, "qemu: %s", qemu);
    /* Refuse now what would fail inside QEMU, before the game starts. */
    if (!lo_elf_check_host_part(qemu, "QEMU", "LORELEI_QEMU", error) ||
        (thunks &&
         (!lo_elf_check_host_part(plugin, "the lorelei plugin", "LORELEI_PLUGIN", error) ||
          !lo_elf_check_host_part(preload, "the preload shim", "LORELEI_PRELOAD", error) ||
          !lo_qemu_check_filter_api(qemu, error)))) {
        return FALSE;
    }
    const char *old_preload = g_getenv("LD_PRELOAD");
    if (thunks && old_preload != NULL && old_preload[0] != '\0') {
        note(o, "your LD_PRELOAD (%s) is replaced by the preload shim for QEMU", old_preload);
    }

    /* QEMU opens the game by name: /proc/self/fd/N names this descriptor
     * in QEMU's process too, once it is inherited. The dry run prints the
     * path instead, which means something outside this process. */
    g_autofree char *sdl12_compat_dir = choose_sdl12_compat(o, game, settings, resolved, sysroot);
    g_autofree char *game_file = g_strdup_printf("/proc/self/fd/%d", game_fd);
    if (!o->dry_run && access(game_file, R_OK) != 0) {
        note(o, "%s cannot be read (no /proc?): QEMU opens the game by its path", game_file);
        g_clear_pointer(&game_file, g_free);
    }
    g_autoptr(GPtrArray) game_args = lo_library_game_args(entry, argv + 2);
    LoCommandInput in = {
        .qemu = qemu,
        .plugin = plugin,
        .preload = preload,
        .guestlibs = guestlibs,
        .sysroot = sysroot,
        .game = game,
        .game_file = o->dry_run ? NULL : game_file,
        .game_args = (const char *const *)game_args->pdata,
        .settings = settings,
        .environ = (const char *const *)environ,
        .gdb_socket = gdb_socket,
        /* The plugin then names each host library file it loads. */
        .plugin_verbose = o->verbose,
        .profile_plugin = profile_plugin,
        .profile_out = profile_out,
        .sdl12_compat_dir = sdl12_compat_dir,
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
    const char *sysroot_name = sysroot == NULL             ? NULL
                               : settings->sysroot != NULL ? settings->sysroot
                                                           : LO_DEFAULT_SYSROOT;
    if (!o->no_check &&
        !lo_preflight_for_run(game, sysroot, sysroot_name, (const char *const *)cmd.argv->pdata,
                              o->verbose, o->dry_run, error)) {
        return FALSE;
    }
    if (o->dry_run) {
        print_plan(o, &cmd, game, id, how, sysroot);
        return TRUE;
    }
    g_autofree char *exec_line = lo_shell_join((const char *const *)cmd.argv->pdata);
    note(o, "exec: %s", exec_line);
    if (gdb_socket != NULL) {
        g_printerr("qemu-lorelei: the game waits for gdb: gdb -ex 'target remote %s'\n",
                   gdb_socket);
    }
    /* QEMU, this process's image or a logged child's, opens the game as
     * /proc/self/fd/N: the descriptor must survive the exec. */
    if (game_file != NULL && fcntl(game_fd, F_SETFD, 0) != 0) {
        int saved = errno;
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot hand the game to QEMU: %s",
                    g_strerror(saved));
        return FALSE;
    }
    if (lo_run_log_active()) {
        int status = 0, sig = 0;
        if (!lo_run_log_exec((char **)cmd.argv->pdata, (char **)cmd.envp->pdata, &status, &sig,
                             error)) {
            return FALSE;
        }
        lo_run_log_finish(status, sig);
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
         "Do not forward LIB (sdl2, gl, vulkan, openal, zlib or vorbisfile) to the host: the "
         "guest's own library runs emulated (repeatable)",
         "LIB"},
        {"no-sdl12-compat", 0, 0, G_OPTION_ARG_NONE, &o.no_sdl12_compat,
         "Keep an SDL 1.2 game on the classic libSDL-1.2, emulated, instead of sdl12-compat "
         "over the forwarded SDL2",
         NULL},
        {"keep-rep-strings", 0, 0, G_OPTION_ARG_NONE, &o.keep_rep_strings,
         "Leave the CPU model's fast-REP-string features (erms, fsrm, fzrm, fsrs, fsrc) on. "
         "Without them glibc's memcpy and memset use vector loops, which QEMU runs several "
         "times faster than REP MOVSB/STOSB; this option is for comparisons",
         NULL},
        {"keep-sse42-strings", 0, 0, G_OPTION_ARG_NONE, &o.keep_sse42_strings,
         "Let the game's glibc pick its SSE4.2 string functions (strcspn, strspn, strpbrk), "
         "which QEMU runs 2.5-3.5 times slower than their SSE2 versions. Without it the game "
         "gets GLIBC_TUNABLES=glibc.cpu.hwcaps=" LO_GUEST_GLIBC_HWCAPS
         " (added to one from the environment); this option is for comparisons",
         NULL},
        {"keep-dynamic-cast", 0, 0, G_OPTION_ARG_NONE, &o.keep_dynamic_cast,
         "Let the game's C++ runtime answer every dynamic_cast, without the per-thread cache "
         "of answers qemu-lorelei preloads into the game (" LORELEI_CASTCACHE_LIBRARY
         ", which makes a repeated cast 6 to 10 times faster emulated); for comparisons, and "
         "for a game that misbehaves with it",
         NULL},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &o.dry_run,
         "Print the QEMU command instead of running it", NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &o.json,
         "With --dry-run: print the command, environment changes and profile as JSON", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose,
         "Explain every choice (profile, sysroot, parts, environment) on stderr, and have the "
         "plugin log the host libraries it loads",
         NULL},
        {"gdb", 0, 0, G_OPTION_ARG_FILENAME, &o.gdb,
         "Start the game stopped, waiting for gdb on the Unix socket SOCKET (gdb: target remote "
         "SOCKET); QEMU_GDB from the environment is ignored",
         "SOCKET"},
        {"library-path", 0, 0, G_OPTION_ARG_STRING, &o.library_path,
         "Folders (':'-separated) the game's loader searches after the stub folders, like the "
         "LD_LIBRARY_PATH a game's launch script sets",
         "DIRS"},
        {"argv0", 0, 0, G_OPTION_ARG_STRING, &o.argv0,
         "The game's argv[0] (default: GAME as given)", "NAME"},
        {"log", 0, 0, G_OPTION_ARG_NONE, &o.log,
         "Write the launcher's choices, QEMU's and the game's output (still shown here) and "
         "the exit status to a log: --log=FILE, or a new file in "
         "$XDG_STATE_HOME/qemu-lorelei/logs (the last 10 are kept)",
         NULL},
        {"log-file", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o.log_file, "", "FILE"},
        {"error-dialog", 0, 0, G_OPTION_ARG_NONE, &o.error_dialog,
         "When the launcher or the game fails, show the error in a dialog (zenity, kdialog, "
         "xmessage, notify-send or xdg-open on the log): for desktop entries; implies --log",
         NULL},
        {"profile-libs", 0, 0, G_OPTION_ARG_NONE, &o.profile_libs,
         "Profile where the emulated time goes: at exit, a table of the guest libraries and "
         "functions by share of emulated instructions and the time in forwarded calls "
         "(stderr); "
         "--profile-libs=FILE also writes it as JSON",
         NULL},
        {"profile-libs-file", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o.profile_out, "",
         "FILE"},
        {"no-check", 0, 0, G_OPTION_ARG_NONE, &o.no_check,
         "Start QEMU without first checking that the x86_64 loader will find every library "
         "the game needs",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "GAME|ID [ARGS…]",
        "Run the x86_64 program GAME under qemu-x86_64 with SDL2, OpenGL, Vulkan, OpenAL, zlib\n"
        "and libvorbisfile forwarded to the host. The profile is the one listing the program's\n"
        "file name or sha256 (yours before community ones before built-in ones); without one\n"
        "the defaults apply (all six libraries forwarded, CPU model max, or Haswell-noTSX when\n"
        "GL or Vulkan runs emulated, since the guest's Mesa cannot JIT on max). The exit status\n"
        "is the game's.\n"
        "Options must come before GAME; everything after it goes to the game.\n"
        "ID (a bare word) is a game of your library (`qemu-lorelei add`): its path, working\n"
        "folder and arguments apply, the ARGS you give follow its own.\n"
        "Before QEMU starts, the libraries the game needs (and theirs) are looked up as the\n"
        "x86_64 loader will look them up; a missing one is named with the fix (--no-check: skip).",
        "Examples:\n"
        "  qemu-lorelei run ./game\n"
        "  qemu-lorelei run --verbose ./game --windowed\n"
        "  qemu-lorelei run --sysroot debian12 --no-thunk vulkan ./game\n"
        "  qemu-lorelei run --dry-run --profile glxgears /usr/bin/glxgears -info\n"
        "  qemu-lorelei run mygame        # a game added with `qemu-lorelei add`\n"
        "  qemu-lorelei run --log ./game  # then `qemu-lorelei report` for a bug report\n"
        "  qemu-lorelei run --profile-libs=prof.json ./game  # where the emulated time goes\n"
        "\n"
        "The command is: qemu-x86_64 [-L SYSROOT] -cpu MODEL -plugin PLUGIN,lib=… -E "
        "LD_LIBRARY_PATH=…\n"
        "  [-E SDL_DYNAMIC_API=…] -E KEY=VALUE… -U LD_PRELOAD -0 GAME /proc/self/fd/N\n"
        "  [PROFILE ARGS] [ARGS] (QEMU runs the file that was opened and hashed; --dry-run shows\n"
        "  GAME there)",
        entries);
    /* Stop at GAME: its own options are the game's, not ours. */
    g_option_context_set_strict_posix(ctx, TRUE);
    o.original_argc = argc;
    o.original_argv = argv;
    g_autofree char **split = split_log_option(&argc, argv);
    argv = split;
    gboolean ok = lo_option_parse(ctx, &argc, &argv, error);
    o.log |= o.log_file != NULL || o.error_dialog;
    o.profile_libs |= o.profile_out != NULL;
    if (o.error_dialog && argc > 1) {
        dialog_game = g_strdup(argv[strcmp(argv[1], "--") == 0 && argc > 2 ? 2 : 1]);
        lo_run_log_set_finish_hook(dialog_after_exit);
    }
    if (ok) {
        /* GOption leaves a "--" that ended our options; it is not the game. */
        int first = 1;
        if (argc > 1 && strcmp(argv[1], "--") == 0) {
            first = 2;
        }
        argv[first - 1] = argv[0];
        ok = run(&o, argc - (first - 1), argv + (first - 1), error);
    }
    if (!ok && lo_run_log_active()) {
        lo_run_log_line("error: %s", (*error)->message);
        lo_run_log_close();
    }
    if (!ok && o.error_dialog) {
        lo_error_dialog_for_error(dialog_game, (*error)->message, lo_run_log_path());
    }
    g_free(o.profile);
    g_free(o.sysroot);
    g_free(o.gdb);
    g_strfreev(o.no_thunk);
    g_free(o.argv0);
    g_free(o.library_path);
    g_free(o.log_file);
    g_free(o.profile_out);
    return ok;
}
