/*
 * qemu-lorelei add|list|remove: the game library (game-library.h). `add`
 * stores a game's path, working folder and arguments and writes its desktop
 * entry; `run ID` (cmd-run.c) starts it by id.
 */
#include "commands.h"
#include "elf-check.h"
#include "errors.h"
#include "game-library.h"
#include "json-util.h"
#include "profile-rules.h"
#include "profile-store.h"
#include "sandbox.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- add -------------------------------------------------------------------- */

static gboolean check_path_text(const char *what, const char *path, GError **error)
{
    if (!lo_is_line(path, NULL) || strlen(path) > LO_LIBRARY_MAX_PATH) {
        g_autofree char *shown = lo_printable(path, 120);
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "%s %s holds a control character or is too long for a desktop entry", what,
                    shown);
        lo_error_fix(error, "rename the folder, or give another path");
        return FALSE;
    }
    return TRUE;
}

static gboolean write_desktop(const LoGame *g, gboolean *written, GError **error)
{
    *written = FALSE;
    if (lo_flatpak_id() != NULL) {
        g_printerr("note: no desktop entry: the Flatpak sandbox cannot write the host's menu; "
                   "start it with `flatpak run %s run %s`\n",
                   lo_flatpak_id(), g->id);
        return TRUE;
    }
    g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
    g_autofree char *icon = lo_game_find_icon(g->path);
    g_autofree char *text = lo_game_desktop_entry(g, exe != NULL ? exe : "qemu-lorelei", icon);
    g_autofree char *path = lo_game_desktop_path(g->id);
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    if (!g_file_set_contents(path, text, -1, error)) {
        return FALSE;
    }
    *written = TRUE;
    printf("desktop entry: %s (icon: %s)\n", path, icon != NULL ? icon : "none found");
    return TRUE;
}

gboolean lo_cmd_add(int argc, char **argv, GError **error)
{
    g_autofree char *name = NULL, *id = NULL, *workdir = NULL, *profile = NULL;
    gboolean no_desktop = FALSE, force = FALSE;
    const GOptionEntry entries[] = {
        {"name", 0, 0, G_OPTION_ARG_STRING, &name, "The game's name in menus (default: the file's)",
         "NAME"},
        {"id", 0, 0, G_OPTION_ARG_STRING, &id, "The id for `run ID` (default: from the name)",
         "ID"},
        {"workdir", 'C', 0, G_OPTION_ARG_FILENAME, &workdir,
         "Start the game in DIR (default: the game's folder)", "DIR"},
        {"profile", 'p', 0, G_OPTION_ARG_STRING, &profile,
         "Always use profile ID (default: the one matching the game, as for run)", "ID"},
        {"no-desktop", 0, 0, G_OPTION_ARG_NONE, &no_desktop, "Write no desktop entry", NULL},
        {"force", 'f', 0, G_OPTION_ARG_NONE, &force, "Replace a game of the same id", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "GAME [-- ARGS…]",
        "Add an x86_64 game to your library: its path, working folder and arguments go to\n"
        "$XDG_CONFIG_HOME/qemu-lorelei/games.json, and a desktop entry (with the game's icon\n"
        "when one is beside it, else qemu-lorelei's) to $XDG_DATA_HOME/applications, so it\n"
        "shows in your menu. Start it with `qemu-lorelei run ID`; `list` shows the library,\n"
        "`remove ID` takes it out again (the game's files are never touched).",
        "Examples:\n"
        "  qemu-lorelei add ~/Games/Foo/foo.x86_64\n"
        "  qemu-lorelei add --name \"Foo Deluxe\" --id foo ~/Games/Foo/foo.x86_64 -- --windowed\n"
        "  qemu-lorelei run foo\n"
        "  qemu-lorelei list\n"
        "  qemu-lorelei remove foo",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no game given");
        return FALSE;
    }
    int first_arg = 2;
    if (argc > 2 && strcmp(argv[2], "--") == 0) {
        first_arg = 3;
    } else if (argc > 2) {
        g_autofree char *shown = lo_printable(argv[2], 60);
        lo_usage_error(error, "unexpected argument '%s': the game's arguments go after --", shown);
        return FALSE;
    }
    g_autofree char *found = lo_find_program(argv[1], error);
    if (found == NULL || !lo_elf_check_x86_64(found, error)) {
        return FALSE;
    }
    g_autoptr(LoGame) g = g_new0(LoGame, 1);
    g->path = g_canonicalize_filename(found, NULL);
    g->workdir =
        workdir != NULL ? g_canonicalize_filename(workdir, NULL) : g_path_get_dirname(g->path);
    if (!check_path_text("the game's path", g->path, error) ||
        !check_path_text("the working folder", g->workdir, error)) {
        return FALSE;
    }
    if (!g_file_test(g->workdir, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "--workdir %s: no such folder", g->workdir);
        lo_error_fix(error, "give the folder the game must start in");
        return FALSE;
    }
    g_autofree char *base = g_path_get_basename(g->path);
    g->name = g_strdup(name != NULL ? name : base);
    if (!lo_is_line(g->name, NULL) || g_utf8_strlen(g->name, -1) > LO_MAX_NAME_CHARS ||
        g->name[0] == '\0') {
        lo_usage_error(error, "--name: 1 to %d characters on one line", LO_MAX_NAME_CHARS);
        return FALSE;
    }
    g->id = id != NULL ? g_strdup(id) : lo_game_id_from_name(name != NULL ? name : base);
    if (!lo_is_line(g->id, NULL) || !lo_pattern_match(LO_PAT_ID, g->id)) {
        g_autofree char *shown = lo_printable(g->id, 80);
        lo_usage_error(error,
                       "--id %s: an id has lowercase letters, digits, '.', '_' and '-' (at most "
                       "64, starting with a letter or digit)",
                       shown);
        return FALSE;
    }
    if (profile != NULL && !lo_pattern_match(LO_PAT_ID, profile)) {
        lo_usage_error(error, "--profile: not a profile id");
        return FALSE;
    }
    g->profile = g_steal_pointer(&profile);
    g->args = g_ptr_array_new_with_free_func(g_free);
    if (argc - first_arg > LO_MAX_ARGS) {
        lo_usage_error(error, "at most %d arguments", LO_MAX_ARGS);
        return FALSE;
    }
    for (int i = first_arg; i < argc; i++) {
        g_ptr_array_add(g->args, g_strdup(argv[i]));
    }
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g->added = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    if (!lo_library_update(g->id, g, force, error)) {
        return FALSE;
    }
    g_autofree char *lib = lo_library_path();
    printf("added '%s' (%s) to %s\n", g->id, g->path, lib);
    gboolean written = FALSE;
    if (!no_desktop && !write_desktop(g, &written, error)) {
        return FALSE;
    }
    printf("start it with: qemu-lorelei run %s\n", g->id);
    return TRUE;
}

/* ---- list ------------------------------------------------------------------- */

static const char *file_status(const LoGame *g)
{
    if (!g_file_test(g->path, G_FILE_TEST_EXISTS)) {
        return "missing";
    }
    g_autoptr(GError) error = NULL;
    if (access(g->path, X_OK) != 0 || !lo_elf_check_x86_64(g->path, &error)) {
        return "unusable";
    }
    return "ok";
}

/* The profile run would use, matched by file name (list does not hash
 * every game), with its status. */
static char *profile_for(LoProfileStore *store, const LoGame *g, const char **status)
{
    *status = NULL;
    g_autofree char *id = NULL;
    if (g->profile != NULL) {
        id = g_strdup(g->profile);
    } else {
        g_autofree char *base = g_path_get_basename(g->path);
        const char *names[] = {base, NULL};
        LoMatch m = lo_profile_match(store, names, NULL);
        id = g_steal_pointer(&m.id);
        lo_match_clear(&m);
    }
    if (id == NULL) {
        return NULL;
    }
    g_autoptr(LoResolved) r = lo_profile_resolve(store, id, NULL, NULL);
    if (r != NULL) {
        *status = lo_json_string(r->merged, "status");
    }
    /* status points into r->merged: keep a static copy. */
    static char buf[16];
    if (*status != NULL) {
        g_strlcpy(buf, *status, sizeof(buf));
        *status = buf;
    } else if (r == NULL) {
        *status = "no such profile";
    }
    return g_steal_pointer(&id);
}

gboolean lo_cmd_list(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "List the games of your library (`qemu-lorelei add`): id, whether the game's file is\n"
        "still there (ok, missing, unusable), the profile `run ID` will use and its status\n"
        "(playable, runs, broken), name and path.",
        "Examples:\n  qemu-lorelei list\n  qemu-lorelei list --json", entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    g_autoptr(GPtrArray) games = lo_library_load(error);
    if (games == NULL) {
        return FALSE;
    }
    g_autoptr(LoProfileStore) store = lo_profile_store_load(error);
    if (store == NULL) {
        return FALSE;
    }
    g_autoptr(cJSON) doc = cJSON_CreateArray();
    if (!json && games->len > 0) {
        printf("%-20s %-8s %-28s %s\n", "ID", "FILE", "PROFILE", "NAME (PATH)");
    }
    for (guint i = 0; i < games->len; i++) {
        const LoGame *g = games->pdata[i];
        const char *status = NULL;
        g_autofree char *profile = profile_for(store, g, &status);
        const char *file = file_status(g);
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", g->id);
            cJSON_AddStringToObject(o, "name", g->name);
            cJSON_AddStringToObject(o, "path", g->path);
            cJSON_AddStringToObject(o, "workdir", g->workdir);
            cJSON_AddStringToObject(o, "file", file);
            cJSON *args = cJSON_AddArrayToObject(o, "args");
            for (guint k = 0; k < g->args->len; k++) {
                cJSON_AddItemToArray(args, cJSON_CreateString(g->args->pdata[k]));
            }
            if (profile != NULL) {
                cJSON *p = cJSON_AddObjectToObject(o, "profile");
                cJSON_AddStringToObject(p, "id", profile);
                if (status != NULL) {
                    cJSON_AddStringToObject(p, "status", status);
                } else {
                    cJSON_AddNullToObject(p, "status");
                }
            } else {
                cJSON_AddNullToObject(o, "profile");
            }
            cJSON_AddItemToArray(doc, o);
            continue;
        }
        g_autofree char *shown_profile = profile == NULL ? g_strdup("-")
                                         : status != NULL
                                             ? g_strdup_printf("%s (%s)", profile, status)
                                             : g_strdup(profile);
        g_autofree char *name = lo_printable(g->name, 60);
        g_autofree char *path = lo_printable(g->path, 200);
        printf("%-20s %-8s %-28s %s (%s)\n", g->id, file, shown_profile, name, path);
    }
    if (json) {
        lo_print_json(doc);
    } else if (games->len == 0) {
        printf("(no games yet: add one with `qemu-lorelei add PATH/TO/GAME`)\n");
    }
    return TRUE;
}

/* ---- remove ----------------------------------------------------------------- */

gboolean lo_cmd_remove(int argc, char **argv, GError **error)
{
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "ID",
        "Take game ID out of your library and delete its desktop entry. The game's own\n"
        "files, its profile and its sysroot stay as they are.",
        "Examples:\n  qemu-lorelei remove foo\n  qemu-lorelei list   # the ids", NULL);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no game id given");
        return FALSE;
    }
    if (!lo_no_more_args(argc, argv, 2, error)) {
        return FALSE;
    }
    const char *id = argv[1];
    if (!lo_is_line(id, NULL) || !lo_pattern_match(LO_PAT_ID, id)) {
        g_autofree char *shown = lo_printable(id, 80);
        lo_usage_error(error, "'%s' is not a game id (`qemu-lorelei list` shows them)", shown);
        return FALSE;
    }
    if (!lo_library_update(id, NULL, FALSE, error)) {
        return FALSE;
    }
    printf("removed '%s' from the library\n", id);
    g_autofree char *desktop = lo_game_desktop_path(id);
    if (unlink(desktop) == 0) {
        printf("deleted %s\n", desktop);
    } else if (errno != ENOENT) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot delete %s: %s", desktop,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
