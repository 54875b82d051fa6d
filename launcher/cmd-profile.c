/*
 * qemu-lorelei profile list|show|validate|new|sync|index.
 * The layers and their merge are in profile-store.c, the rules in
 * profile-rules.h; this file is the command-line face of them.
 */
#include "commands.h"
#include "elf-check.h"
#include "errors.h"
#include "index.h"
#include "json-util.h"
#include "lorelei-config.h"
#include "paths.h"
#include "profile-rules.h"
#include "profile-store.h"
#include "profile-validate.h"
#include "run-settings.h"
#include "sha-cache.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static LoProfileStore *load_store(GError **error)
{
    LoProfileStore *store = lo_profile_store_load(error);
    if (store != NULL) {
        lo_profile_store_warn(store);
    }
    return store;
}

/* ---- list ------------------------------------------------------------------ */

gboolean lo_cmd_profile_list(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "List every profile id with its name, status and the layers that define it (built-in,\n"
        "community, user).",
        "Examples:\n  qemu-lorelei profile list\n  qemu-lorelei profile list --json", entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    g_autoptr(LoProfileStore) store = load_store(error);
    if (store == NULL) {
        return FALSE;
    }
    g_autoptr(GPtrArray) ids = lo_profile_store_ids(store);
    g_autoptr(cJSON) doc = cJSON_CreateArray();
    if (!json) {
        printf("%-18s %-9s %-26s %s\n", "ID", "STATUS", "LAYERS", "NAME");
    }
    for (guint i = 0; i < ids->len; i++) {
        const char *id = ids->pdata[i];
        g_autoptr(LoResolved) r = lo_profile_resolve(store, id, NULL, NULL);
        const char *name = lo_json_string(r->merged, "name");
        const char *status = lo_json_string(r->merged, "status");
        g_autoptr(GString) layers = g_string_new(NULL);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "name", name != NULL ? name : id);
        if (status != NULL) {
            cJSON_AddStringToObject(o, "status", status);
        } else {
            cJSON_AddNullToObject(o, "status");
        }
        cJSON *jl = cJSON_AddArrayToObject(o, "layers");
        for (guint k = 0; k < r->sources->len; k++) {
            const LoProfileSource *s = r->sources->pdata[k];
            g_string_append_printf(layers, "%s%s", k ? "," : "", lo_layer_names[s->layer]);
            cJSON *l = cJSON_CreateObject();
            cJSON_AddStringToObject(l, "layer", lo_layer_names[s->layer]);
            cJSON_AddStringToObject(l, "file", s->path);
            cJSON_AddItemToArray(jl, l);
        }
        cJSON_AddItemToArray(doc, o);
        if (!json) {
            printf("%-18s %-9s %-26s %s\n", id, status != NULL ? status : "-", layers->str,
                   name != NULL ? name : id);
        }
    }
    if (json) {
        lo_print_json(doc);
    } else if (ids->len == 0) {
        printf("(no profiles: none built in, none synced, none of your own)\n");
    }
    return TRUE;
}

/* ---- show ------------------------------------------------------------------ */

static void flatten(const cJSON *v, GString *path, GPtrArray *out)
{
    if (cJSON_IsObject(v)) {
        for (const cJSON *m = v->child; m != NULL; m = m->next) {
            gsize saved = path->len;
            g_string_append_printf(path, "%s%s", saved ? "." : "", m->string);
            flatten(m, path, out);
            g_string_truncate(path, saved);
        }
    } else {
        g_ptr_array_add(out, g_strdup(path->str));
    }
}

static const cJSON *at_path(const cJSON *root, const char *path)
{
    g_auto(GStrv) parts = g_strsplit(path, ".", -1);
    const cJSON *v = root;
    for (char **p = parts; *p != NULL && v != NULL; p++) {
        v = cJSON_GetObjectItemCaseSensitive(v, *p);
    }
    return v;
}

static char *compact(const cJSON *v)
{
    char *raw = cJSON_PrintUnformatted(v);
    char *out = g_strdup(raw);
    cJSON_free(raw);
    return out;
}

/* Values a run uses when no layer sets them. */
static void add_defaults(cJSON *defaults, const cJSON *merged)
{
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_autofree char *p = g_strdup_printf("thunks.%s", lo_thunk_names[i]);
        if (at_path(merged, p) == NULL) {
            cJSON_AddTrueToObject(defaults, p);
        }
    }
    if (at_path(merged, "qemu.cpu") == NULL) {
        g_autoptr(LoRunSettings) s = lo_run_settings_from_profile(merged);
        cJSON_AddStringToObject(defaults, "qemu.cpu", s->cpu);
    }
}

static gboolean show_resolved(LoProfileStore *store, const char *id, const cJSON *cli,
                              gboolean json, GError **error)
{
    g_autoptr(LoResolved) r = lo_profile_resolve(store, id, cli, error);
    if (r == NULL) {
        return FALSE;
    }
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GString) path = g_string_new(NULL);
    flatten(r->merged, path, paths);
    g_autoptr(cJSON) defaults = cJSON_CreateObject();
    add_defaults(defaults, r->merged);
    if (json) {
        g_autoptr(cJSON) doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "id", id);
        cJSON_AddItemToObject(doc, "profile", cJSON_Duplicate(r->merged, TRUE));
        cJSON *origin = cJSON_AddObjectToObject(doc, "origin");
        for (guint i = 0; i < paths->len; i++) {
            const LoProfileSource *s = g_hash_table_lookup(r->origin, paths->pdata[i]);
            cJSON *o = cJSON_AddObjectToObject(origin, paths->pdata[i]);
            cJSON_AddStringToObject(o, "layer", lo_layer_names[s->layer]);
            if (s->path != NULL) {
                cJSON_AddStringToObject(o, "file", s->path);
            } else {
                cJSON_AddNullToObject(o, "file");
            }
        }
        cJSON_AddItemToObject(doc, "defaults", cJSON_Duplicate(defaults, TRUE));
        lo_print_json(doc);
        return TRUE;
    }
    printf("profile %s, merged from:\n", id);
    for (guint i = 0; i < r->sources->len; i++) {
        const LoProfileSource *s = r->sources->pdata[i];
        g_autofree char *shown = lo_printable(s->path != NULL ? s->path : "(options)", -1);
        printf("  %-12s %s\n", lo_layer_names[s->layer], shown);
    }
    printf("\n%-28s %-34s %s\n", "KEY", "VALUE", "FROM");
    for (guint i = 0; i < paths->len; i++) {
        g_autofree char *value = compact(at_path(r->merged, paths->pdata[i]));
        const LoProfileSource *s = g_hash_table_lookup(r->origin, paths->pdata[i]);
        printf("%-28s %-34s %s\n", (char *)paths->pdata[i], value, lo_layer_names[s->layer]);
    }
    for (const cJSON *d = defaults->child; d != NULL; d = d->next) {
        g_autofree char *value = compact(d);
        printf("%-28s %-34s %s\n", d->string, value, "default");
    }
    return TRUE;
}

gboolean lo_cmd_profile_show(int argc, char **argv, GError **error)
{
    gboolean json = FALSE, resolved = FALSE;
    g_auto(GStrv) no_thunk = NULL;
    g_autofree char *sysroot = NULL;
    const GOptionEntry entries[] = {
        {"resolved", 'r', 0, G_OPTION_ARG_NONE, &resolved,
         "Show the merged profile and which layer every value came from", NULL},
        {"no-thunk", 0, 0, G_OPTION_ARG_STRING_ARRAY, &no_thunk,
         "With --resolved: apply run's --no-thunk LIB as the command-line layer", "LIB"},
        {"sysroot", 0, 0, G_OPTION_ARG_STRING, &sysroot,
         "With --resolved: apply run's --sysroot NAME as the command-line layer", "NAME"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "ID",
        "Show profile ID as each layer defines it (built-in, community, user), or with\n"
        "--resolved the merged result that `run` uses, key by key, with where each value\n"
        "came from. Later layers win: built-in < community < user < command line.",
        "Examples:\n"
        "  qemu-lorelei profile show glxgears\n"
        "  qemu-lorelei profile show --resolved glxgears\n"
        "  qemu-lorelei profile show --resolved --no-thunk gl --json glxgears",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no profile id given");
        return FALSE;
    }
    if (!lo_no_more_args(argc, argv, 2, error)) {
        return FALSE;
    }
    if (!resolved && (no_thunk != NULL || sysroot != NULL)) {
        lo_usage_error(error, "--no-thunk and --sysroot only apply with --resolved");
        return FALSE;
    }
    g_autoptr(LoProfileStore) store = load_store(error);
    if (store == NULL) {
        return FALSE;
    }
    const char *id = argv[1];
    if (resolved) {
        g_autoptr(cJSON) cli = lo_cli_layer(sysroot, no_thunk, error);
        if (cli == NULL) {
            return FALSE;
        }
        return show_resolved(store, id, cli, json, error);
    }
    g_autoptr(LoResolved) r = lo_profile_resolve(store, id, NULL, error);
    if (r == NULL) {
        return FALSE;
    }
    g_autoptr(cJSON) doc = cJSON_CreateArray();
    for (guint i = 0; i < r->sources->len; i++) {
        const LoProfileSource *s = r->sources->pdata[i];
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "layer", lo_layer_names[s->layer]);
            cJSON_AddStringToObject(o, "file", s->path);
            cJSON_AddItemToObject(o, "profile", cJSON_Duplicate(s->doc, TRUE));
            cJSON_AddItemToArray(doc, o);
        } else {
            g_autofree char *text = lo_json_to_string(s->doc);
            g_autofree char *shown = lo_printable(s->path, -1);
            printf("%s# %s: %s\n%s", i ? "\n" : "", lo_layer_names[s->layer], shown, text);
        }
    }
    if (json) {
        lo_print_json(doc);
    }
    return TRUE;
}

/* ---- validate -------------------------------------------------------------- */

gboolean lo_cmd_profile_validate(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print one JSON result per file", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "[FILE…]",
        "Check profile files against schema 1, and that each is named after its id (<id>.json,\n"
        "as `run` requires): every problem is listed with its key. Without FILE, every profile\n"
        "of every layer (built-in, community, user). The exit status is 3 when any file is\n"
        "invalid, else 4 when one does not exist.",
        "Examples:\n"
        "  qemu-lorelei profile validate\n"
        "  qemu-lorelei profile validate ~/.config/qemu-lorelei/profiles/mygame.json\n"
        "  qemu-lorelei profile validate --json profiles/*.json",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    /* No files: every layer's (cmd-profile-edit.c lists them). */
    g_autoptr(GPtrArray) every = NULL;
    gboolean all_layers = argc < 2;
    if (all_layers) {
        if ((every = lo_profile_every_file(error)) == NULL) {
            return FALSE;
        }
        g_ptr_array_insert(every, 0, g_strdup(argv[0]));
        g_ptr_array_add(every, NULL);
        argc = (int)every->len - 1;
        argv = (char **)every->pdata;
        if (argc < 2) {
            printf("no profiles in any layer\n");
            return TRUE;
        }
    }
    g_autoptr(cJSON) doc = cJSON_CreateArray();
    int invalid = 0, missing = 0;
    for (int i = 1; i < argc; i++) {
        g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
        g_autofree char *text = NULL;
        gsize length = 0;
        g_autoptr(GError) read_error = NULL;
        if (!lo_read_file_limited(argv[i], LO_PROFILE_MAX_BYTES, &text, &length, &read_error)) {
            g_ptr_array_add(problems, g_strdup(read_error->message));
            missing += read_error->code == LO_EXIT_NOT_FOUND;
            invalid += read_error->code != LO_EXIT_NOT_FOUND;
        } else {
            g_autoptr(cJSON) profile = lo_profile_parse(text, length, problems);
            /* run takes a profile only from a file named after its id. */
            const char *id = lo_json_string(profile, "id");
            g_autofree char *expected = id != NULL ? g_strconcat(id, ".json", NULL) : NULL;
            g_autofree char *base = g_path_get_basename(argv[i]);
            if (expected != NULL && strcmp(base, expected) != 0) {
                g_autofree char *shown = lo_printable(base, 80);
                g_ptr_array_add(problems,
                                g_strdup_printf("id: the file must be named %s to be used "
                                                "(qemu-lorelei skips it as %s)",
                                                expected, shown));
            }
            invalid += problems->len > 0;
        }
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "file", argv[i]);
            cJSON_AddBoolToObject(o, "valid", problems->len == 0);
            cJSON *list = cJSON_AddArrayToObject(o, "problems");
            for (guint k = 0; k < problems->len; k++) {
                cJSON_AddItemToArray(list, cJSON_CreateString(problems->pdata[k]));
            }
            cJSON_AddItemToArray(doc, o);
            continue;
        }
        g_autofree char *file = lo_printable(argv[i], -1);
        printf("%s: %s\n", file, problems->len ? "invalid" : "ok");
        for (guint k = 0; k < problems->len; k++) {
            g_autofree char *shown = lo_printable_text(problems->pdata[k]);
            printf("  %s\n", shown);
        }
    }
    if (json) {
        lo_print_json(doc);
    }
    if (invalid > 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%d of %d profile(s) invalid", invalid,
                    argc - 1);
        if (missing > 0) {
            lo_error_note(error, "and %d not found", missing);
        }
        lo_error_fix(error, "correct the keys listed above (docs/profiles.md describes each)");
        return FALSE;
    }
    if (missing > 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "%d of %d profile(s) not found", missing,
                    argc - 1);
        lo_error_fix(error, "check the file names above");
        return FALSE;
    }
    return TRUE;
}

/* ---- new ------------------------------------------------------------------- */

/* An id from a file name: lowercase, other characters become '-'. */
static char *id_from_name(const char *name)
{
    GString *out = g_string_new(NULL);
    for (const char *p = name; *p != '\0' && out->len < 64; p++) {
        char c = g_ascii_tolower(*p);
        gboolean ok = g_ascii_isalnum(c) || (out->len > 0 && strchr("._-", c) != NULL);
        if (ok) {
            g_string_append_c(out, c);
        } else if (out->len > 0 && out->str[out->len - 1] != '-') {
            g_string_append_c(out, '-');
        }
    }
    while (out->len > 0 && strchr("._-", out->str[out->len - 1]) != NULL) {
        g_string_truncate(out, out->len - 1);
    }
    if (out->len == 0) {
        g_string_assign(out, "game");
    }
    return g_string_free(out, FALSE);
}

static cJSON *starter(const char *id, const char *name, const char *exe, const char *sha256)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "$comment",
                            "Starter profile from `qemu-lorelei profile new`. Check it with "
                            "`qemu-lorelei profile validate FILE`; docs/profiles.md explains every "
                            "key. env may set only the variables of the allow-list there (such "
                            "as vblank_mode, mesa_glthread, SDL_VIDEODRIVER). Set status "
                            "(playable, runs or broken) once you have tried the "
                            "game, and add a tested_on record.");
    cJSON_AddNumberToObject(doc, "schema", LO_PROFILE_SCHEMA);
    cJSON_AddStringToObject(doc, "id", id);
    cJSON_AddStringToObject(doc, "name", name);
    cJSON *match = cJSON_AddObjectToObject(doc, "match");
    cJSON_AddStringToObject(match, "$comment",
                            "A listed sha256 is a sure match; a file name alone is a weaker one "
                            "(other builds of the game share it).");
    cJSON *exes = cJSON_AddArrayToObject(match, "exe");
    cJSON_AddItemToArray(exes, cJSON_CreateString(exe));
    cJSON *shas = cJSON_AddArrayToObject(match, "sha256");
    cJSON_AddItemToArray(shas, cJSON_CreateString(sha256));
    cJSON *thunks = cJSON_AddObjectToObject(doc, "thunks");
    cJSON_AddStringToObject(thunks, "$comment",
                            "true: the call goes to the host's native library (fast); false: the "
                            "sysroot's x86_64 library runs emulated.");
    for (int i = 0; i < LO_N_THUNKS; i++) {
        cJSON_AddTrueToObject(thunks, lo_thunk_names[i]);
    }
    cJSON_AddObjectToObject(doc, "env");
    cJSON *qemu = cJSON_AddObjectToObject(doc, "qemu");
    cJSON_AddStringToObject(qemu, "$comment",
                            "cpu: an x86_64 model of `qemu-x86_64 -cpu help` such as Haswell "
                            "(default: max, or Haswell-noTSX when GL or Vulkan runs emulated); "
                            "also stack_size, strace, one_insn_per_tb, log.");
    cJSON_AddArrayToObject(doc, "args");
    cJSON_AddArrayToObject(doc, "tested_on");
    cJSON_AddStringToObject(doc, "notes", "");
    return doc;
}

gboolean lo_cmd_profile_new(int argc, char **argv, GError **error)
{
    g_autofree char *id = NULL, *name = NULL, *output = NULL;
    gboolean force = FALSE;
    const GOptionEntry entries[] = {
        {"id", 0, 0, G_OPTION_ARG_STRING, &id, "The profile's id (default: from the file name)",
         "ID"},
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "The game's name as people know it", "NAME"},
        {"output", 'o', 0, G_OPTION_ARG_FILENAME, &output,
         "Write to FILE ('-': stdout) instead of your profile folder", "FILE"},
        {"force", 'f', 0, G_OPTION_ARG_NONE, &force, "Overwrite an existing file", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "EXECUTABLE",
        "Write a commented starter profile for an x86_64 executable, with its file name and\n"
        "sha256, to $XDG_CONFIG_HOME/qemu-lorelei/profiles/ID.json (your user layer).",
        "Examples:\n"
        "  qemu-lorelei profile new ./mygame.x86_64\n"
        "  qemu-lorelei profile new --id mygame --name \"My Game\" ./bin/game\n"
        "  qemu-lorelei profile new -o - ./game > mygame.json",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no executable given");
        return FALSE;
    }
    if (!lo_no_more_args(argc, argv, 2, error)) {
        return FALSE;
    }
    g_autofree char *exe = lo_find_program(argv[1], error);
    if (exe == NULL) {
        return FALSE;
    }
    lo_autofd int fd = lo_open_program(exe, error);
    if (fd < 0 || !lo_elf_check_x86_64_fd(fd, exe, error)) {
        return FALSE;
    }
    /* Cached too: the first run of the game needs it again. */
    g_autofree char *sha256 = lo_sha256_of_game(fd, exe, error);
    if (sha256 == NULL) {
        return FALSE;
    }
    g_autofree char *base = g_path_get_basename(exe);
    if (id == NULL) {
        id = id_from_name(base);
    }
    if (!lo_is_line(id, NULL) || !lo_pattern_match(LO_PAT_ID, id)) {
        g_autofree char *shown = lo_printable(id, 80);
        lo_usage_error(error,
                       "--id %s: an id has lowercase letters, digits, '.', '_' and '-' "
                       "(at most 64, starting with a letter or digit)",
                       shown);
        return FALSE;
    }
    g_autoptr(cJSON) doc = starter(id, name != NULL ? name : base, base, sha256);
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    if (!lo_profile_validate(doc, problems)) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "the starter profile would be invalid");
        lo_error_add_problems(error, problems);
        lo_error_fix(error, "pick another --name or --id");
        return FALSE;
    }
    g_autofree char *text = lo_json_to_string(doc);
    if (output != NULL && strcmp(output, "-") == 0) {
        fputs(text, stdout);
        return TRUE;
    }
    if (output == NULL) {
        g_autofree char *dir = lo_user_profiles_dir();
        if (g_mkdir_with_parents(dir, 0755) != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", dir,
                        g_strerror(errno));
            return FALSE;
        }
        g_autofree char *file = g_strconcat(id, ".json", NULL);
        output = g_build_filename(dir, file, NULL);
    }
    if (!force && g_file_test(output, G_FILE_TEST_EXISTS)) {
        g_set_error(error, LO_ERROR, LO_EXIT_EXISTS, "%s already exists", output);
        lo_error_fix(error, "edit it, or overwrite it with --force");
        return FALSE;
    }
    if (!g_file_set_contents(output, text, -1, error)) {
        return FALSE;
    }
    printf("wrote %s\n", output);
    printf("next: edit it, then `qemu-lorelei profile validate %s`\n", output);
    return TRUE;
}

/* ---- sync ------------------------------------------------------------------ */

static void add_ids(cJSON *doc, const char *key, GPtrArray *ids)
{
    cJSON *list = cJSON_AddArrayToObject(doc, key);
    for (guint i = 0; i < ids->len; i++) {
        cJSON_AddItemToArray(list, cJSON_CreateString(ids->pdata[i]));
    }
}

gboolean lo_cmd_profile_sync(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    LoSyncOptions o = LO_SYNC_OPTIONS_DEFAULT;
    const GOptionEntry entries[] = {
        {"timeout", 0, 0, G_OPTION_ARG_INT, &o.timeout_seconds,
         "Give up when the whole sync (every download) takes longer than SECONDS (default 300; "
         "a connection silent for 30 s fails sooner)",
         "SECONDS"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON report", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "[URL]",
        "Update the community profiles ($XDG_DATA_HOME/qemu-lorelei/community) from the\n"
        "repository at URL (https://, or file://): fetch index.json, download the profiles\n"
        "that changed, check every size, sha256 and the schema, then replace the local copy in\n"
        "one step. On any problem the previous copy stays as it was. Without URL:\n"
        "$LORELEI_SYNC_URL, else the URL configured at build time.",
        "Examples:\n"
        "  qemu-lorelei profile sync\n"
        "  qemu-lorelei profile sync https://example.org/qemu-lorelei/profiles/\n"
        "  qemu-lorelei profile sync file:///srv/mirror/profiles/index.json",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 2, error)) {
        return FALSE;
    }
    if (o.timeout_seconds < 1 || o.timeout_seconds > 3600) {
        lo_usage_error(error, "--timeout must be from 1 to 3600 seconds");
        return FALSE;
    }
    const char *url = argc > 1 ? argv[1] : g_getenv("LORELEI_SYNC_URL");
    if (url == NULL || url[0] == '\0') {
        url = LO_DEFAULT_SYNC_URL;
    }
    if (url[0] == '\0') {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "no repository URL: none given, LORELEI_SYNC_URL is not set and none was "
                    "configured at build time");
        lo_error_fix(error, "give one: qemu-lorelei profile sync https://…/profiles/ (or set "
                            "LORELEI_SYNC_URL)");
        return FALSE;
    }
    g_autofree char *dest = lo_community_dir();
    LoSyncReport report = {0};
    gboolean ok = lo_sync(url, dest, &o, &report, error);
    if (ok && json) {
        g_autoptr(cJSON) doc = cJSON_CreateObject();
        cJSON_AddStringToObject(doc, "url", report.url);
        cJSON_AddStringToObject(doc, "dir", dest);
        add_ids(doc, "downloaded", report.downloaded);
        add_ids(doc, "unchanged", report.unchanged);
        add_ids(doc, "removed", report.removed);
        lo_print_json(doc);
    } else if (ok) {
        printf("synced %u profiles from %s: %u downloaded, %u unchanged, %u removed\n",
               report.downloaded->len + report.unchanged->len, report.url, report.downloaded->len,
               report.unchanged->len, report.removed->len);
    }
    lo_sync_report_clear(&report);
    return ok;
}

/* ---- index (maintainers) --------------------------------------------------- */

gboolean lo_cmd_profile_index(int argc, char **argv, GError **error)
{
    gboolean check = FALSE;
    const GOptionEntry entries[] = {
        {"check", 0, 0, G_OPTION_ARG_NONE, &check,
         "Do not write: fail when DIR/index.json is not what would be written", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "DIR",
        "For maintainers of a profile repository: validate every profile in DIR and write\n"
        "DIR/index.json (id, file, size, sha256 of each), which `profile sync` verifies\n"
        "downloads against.",
        "Examples:\n"
        "  qemu-lorelei profile index profiles/\n"
        "  qemu-lorelei profile index --check profiles/   # in CI",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no repository folder given");
        return FALSE;
    }
    if (!lo_no_more_args(argc, argv, 2, error)) {
        return FALSE;
    }
    g_autofree char *text = lo_index_generate(argv[1], error);
    if (text == NULL) {
        return FALSE;
    }
    g_autofree char *path = g_build_filename(argv[1], "index.json", NULL);
    if (check) {
        g_autofree char *current = NULL;
        gsize length = 0;
        if (!lo_read_file_limited(path, LO_INDEX_MAX_BYTES, &current, &length, NULL) ||
            strcmp(current, text) != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "%s is stale: it does not list the profiles in %s as they are", path,
                        argv[1]);
            lo_error_fix(error,
                         "regenerate it with `qemu-lorelei profile index %s` and commit "
                         "the result",
                         argv[1]);
            return FALSE;
        }
        printf("%s is up to date\n", path);
        return TRUE;
    }
    if (!g_file_set_contents(path, text, -1, error)) {
        return FALSE;
    }
    printf("wrote %s\n", path);
    return TRUE;
}
