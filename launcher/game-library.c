#include "game-library.h"

#include "errors.h"
#include "lorelei-config.h"
#include "paths.h"
#include "profile-rules.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ICON_MAX_BYTES (4 * 1024 * 1024)

void lo_game_free(LoGame *g)
{
    if (g == NULL) {
        return;
    }
    g_free(g->id);
    g_free(g->name);
    g_free(g->path);
    g_free(g->workdir);
    if (g->args != NULL) {
        g_ptr_array_unref(g->args);
    }
    g_free(g->profile);
    g_free(g->added);
    g_free(g);
}

char *lo_library_path(void)
{
    return g_build_filename(g_get_user_config_dir(), "qemu-lorelei", LO_LIBRARY_FILE, NULL);
}

char *lo_game_desktop_path(const char *id)
{
    g_autofree char *file = g_strconcat(LO_DESKTOP_PREFIX, id, ".desktop", NULL);
    return g_build_filename(g_get_user_data_dir(), "applications", file, NULL);
}

/* ---- reading ---------------------------------------------------------------- */

static gboolean bad(GError **error, const char *id, const char *key, const char *what)
{
    g_autofree char *shown = lo_printable(id != NULL ? id : "", 80);
    g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "games.%s%s%s: %s", shown, key ? "." : "",
                key ? key : "", what);
    return FALSE;
}

static gboolean get_line(const cJSON *obj, const char *id, const char *key, gboolean required,
                         gboolean absolute, glong max_chars, char **out, GError **error)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (v == NULL) {
        return !required || bad(error, id, key, "missing");
    }
    if (!cJSON_IsString(v) || !lo_is_line(v->valuestring, NULL)) {
        return bad(error, id, key, "must be a string without control characters");
    }
    if (g_utf8_strlen(v->valuestring, -1) > max_chars || v->valuestring[0] == '\0') {
        return bad(error, id, key, "empty or too long");
    }
    if (absolute && v->valuestring[0] != '/') {
        return bad(error, id, key, "must be an absolute path");
    }
    *out = g_strdup(v->valuestring);
    return TRUE;
}

static LoGame *parse_game(const cJSON *v, GError **error)
{
    const char *id = v->string;
    if (!lo_is_line(id, NULL) || !lo_pattern_match(LO_PAT_ID, id)) {
        bad(error, id, NULL, "not a valid id (lowercase letters, digits, '.', '_', '-')");
        return NULL;
    }
    if (!cJSON_IsObject(v)) {
        bad(error, id, NULL, "must be an object");
        return NULL;
    }
    static const char *const keys[] = {"name",    "path",  "workdir",  "args",
                                       "profile", "added", "$comment", NULL};
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        if (!g_strv_contains(keys, m->string)) {
            g_autofree char *what = g_strdup_printf(
                "unknown key '%s' (known: name, path, workdir, args, profile, added)", m->string);
            bad(error, id, NULL, what);
            return NULL;
        }
    }
    g_autoptr(LoGame) g = g_new0(LoGame, 1);
    g->id = g_strdup(id);
    if (!get_line(v, id, "name", TRUE, FALSE, LO_MAX_NAME_CHARS, &g->name, error) ||
        !get_line(v, id, "path", TRUE, TRUE, LO_LIBRARY_MAX_PATH, &g->path, error) ||
        !get_line(v, id, "workdir", TRUE, TRUE, LO_LIBRARY_MAX_PATH, &g->workdir, error) ||
        !get_line(v, id, "profile", FALSE, FALSE, 64, &g->profile, error) ||
        !get_line(v, id, "added", FALSE, FALSE, 64, &g->added, error)) {
        return NULL;
    }
    if (g->profile != NULL && !lo_pattern_match(LO_PAT_ID, g->profile)) {
        bad(error, id, "profile", "not a valid profile id");
        return NULL;
    }
    g->args = g_ptr_array_new_with_free_func(g_free);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(v, "args");
    if (args != NULL && !cJSON_IsArray(args)) {
        bad(error, id, "args", "must be a list of strings");
        return NULL;
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, args)
    {
        if (!cJSON_IsString(a) || g_utf8_strlen(a->valuestring, -1) > LO_MAX_ARG_CHARS ||
            g->args->len >= LO_MAX_ARGS) {
            bad(error, id, "args", "must be at most 64 strings of at most 4096 characters");
            return NULL;
        }
        g_ptr_array_add(g->args, g_strdup(a->valuestring));
    }
    return g_steal_pointer(&g);
}

static int compare_games(gconstpointer a, gconstpointer b)
{
    return strcmp((*(LoGame *const *)a)->id, (*(LoGame *const *)b)->id);
}

GPtrArray *lo_library_parse(const char *text, gsize length, GError **error)
{
    GPtrArray *games = g_ptr_array_new_with_free_func((GDestroyNotify)lo_game_free);
    if (length == 0) {
        return games;
    }
    g_autoptr(cJSON) doc = lo_json_parse_strict(text, length, error);
    if (doc == NULL) {
        g_ptr_array_unref(games);
        return NULL;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "games");
    if (!cJSON_IsObject(doc) || !cJSON_IsNumber(schema) ||
        schema->valuedouble != LO_LIBRARY_SCHEMA || !cJSON_IsObject(list)) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "not a game library: it must be {\"schema\": 1, \"games\": {…}}");
        g_ptr_array_unref(games);
        return NULL;
    }
    for (const cJSON *v = list->child; v != NULL; v = v->next) {
        if (games->len >= LO_LIBRARY_MAX_GAMES) {
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "more than %d games",
                        LO_LIBRARY_MAX_GAMES);
            g_ptr_array_unref(games);
            return NULL;
        }
        LoGame *g = parse_game(v, error);
        if (g == NULL) {
            g_ptr_array_unref(games);
            return NULL;
        }
        g_ptr_array_add(games, g);
    }
    g_ptr_array_sort(games, compare_games);
    return games;
}

GPtrArray *lo_library_load(GError **error)
{
    g_autofree char *path = lo_library_path();
    g_autofree char *text = NULL;
    gsize length = 0;
    g_autoptr(GError) local = NULL;
    if (!lo_read_file_limited(path, LO_LIBRARY_MAX_BYTES, &text, &length, &local)) {
        if (g_error_matches(local, LO_ERROR, LO_EXIT_NOT_FOUND)) {
            return g_ptr_array_new_with_free_func((GDestroyNotify)lo_game_free);
        }
        g_propagate_error(error, g_steal_pointer(&local));
        return NULL;
    }
    GPtrArray *games = lo_library_parse(text, length, error);
    if (games == NULL) {
        g_prefix_error(error, "the game library %s is damaged: ", path);
        lo_error_fix(error, "correct the entry named above (or delete the file to start anew)");
    }
    return games;
}

LoGame *lo_library_find(GPtrArray *games, const char *id)
{
    for (guint i = 0; i < games->len; i++) {
        LoGame *g = games->pdata[i];
        if (strcmp(g->id, id) == 0) {
            return g;
        }
    }
    return NULL;
}

/* ---- writing ---------------------------------------------------------------- */

cJSON *lo_library_to_json(GPtrArray *games)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "schema", LO_LIBRARY_SCHEMA);
    cJSON *list = cJSON_AddObjectToObject(doc, "games");
    for (guint i = 0; i < games->len; i++) {
        const LoGame *g = games->pdata[i];
        cJSON *o = cJSON_AddObjectToObject(list, g->id);
        cJSON_AddStringToObject(o, "name", g->name);
        cJSON_AddStringToObject(o, "path", g->path);
        cJSON_AddStringToObject(o, "workdir", g->workdir);
        cJSON *args = cJSON_AddArrayToObject(o, "args");
        for (guint k = 0; g->args != NULL && k < g->args->len; k++) {
            cJSON_AddItemToArray(args, cJSON_CreateString(g->args->pdata[k]));
        }
        if (g->profile != NULL) {
            cJSON_AddStringToObject(o, "profile", g->profile);
        }
        if (g->added != NULL) {
            cJSON_AddStringToObject(o, "added", g->added);
        }
    }
    return doc;
}

static LoGame *game_copy(const LoGame *g)
{
    LoGame *c = g_new0(LoGame, 1);
    c->id = g_strdup(g->id);
    c->name = g_strdup(g->name);
    c->path = g_strdup(g->path);
    c->workdir = g_strdup(g->workdir);
    c->args = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; g->args != NULL && i < g->args->len; i++) {
        g_ptr_array_add(c->args, g_strdup(g->args->pdata[i]));
    }
    c->profile = g_strdup(g->profile);
    c->added = g_strdup(g->added);
    return c;
}

static gboolean update_locked(const char *path, const char *id, const LoGame *game,
                              gboolean replace, GError **error)
{
    g_autoptr(GPtrArray) games = lo_library_load(error);
    if (games == NULL) {
        return FALSE;
    }
    LoGame *existing = lo_library_find(games, id);
    if (game == NULL && existing == NULL) {
        g_autofree char *shown = lo_printable(id, 80);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "no game '%s' in the library", shown);
        lo_error_fix(error, "`qemu-lorelei list` shows the games and their ids");
        return FALSE;
    }
    if (game != NULL && existing != NULL && !replace) {
        g_set_error(error, LO_ERROR, LO_EXIT_EXISTS, "the library already has a game '%s' (%s)", id,
                    existing->path);
        lo_error_fix(error, "choose another id with --id, or replace it with --force");
        return FALSE;
    }
    if (existing != NULL) {
        g_ptr_array_remove(games, existing);
    }
    if (game != NULL) {
        g_ptr_array_add(games, game_copy(game));
        g_ptr_array_sort(games, compare_games);
    }
    g_autoptr(cJSON) doc = lo_library_to_json(games);
    g_autofree char *text = lo_json_to_string(doc);
    return g_file_set_contents(path, text, -1, error); /* temp file + rename */
}

gboolean lo_library_update(const char *id, const LoGame *game, gboolean replace, GError **error)
{
    g_autofree char *path = lo_library_path();
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    /* One writer at a time: two `add`s at once must not lose one. */
    g_autofree char *lock_path = g_strconcat(path, ".lock", NULL);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot lock %s: %s", lock_path,
                    g_strerror(errno));
        if (lock >= 0) {
            close(lock);
        }
        return FALSE;
    }
    gboolean ok = update_locked(path, id, game, replace, error);
    close(lock);
    return ok;
}

/* ---- ids, icons, desktop entries -------------------------------------------- */

char *lo_game_id_from_name(const char *name)
{
    static const char *const suffixes[] = {".x86_64", ".x86-64", ".amd64", ".bin", ".elf", NULL};
    g_autofree char *base = g_strdup(name);
    for (const char *const *s = suffixes; *s != NULL; s++) {
        if (g_str_has_suffix(base, *s) && strlen(base) > strlen(*s)) {
            base[strlen(base) - strlen(*s)] = '\0';
            break;
        }
    }
    GString *out = g_string_new(NULL);
    for (const char *p = base; *p != '\0' && out->len < 64; p++) {
        char c = g_ascii_tolower(*p);
        if (g_ascii_isalnum(c) || (out->len > 0 && strchr("._-", c) != NULL)) {
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

/* Whether a file looks like an image a desktop can show. */
static gboolean is_icon(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 8 ||
        st.st_size > ICON_MAX_BYTES) {
        return FALSE;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        return FALSE;
    }
    char head[512] = {0};
    ssize_t n = read(fd, head, sizeof(head) - 1);
    close(fd);
    if (n < 8) {
        return FALSE;
    }
    return memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0 || strstr(head, "<svg") != NULL ||
           g_str_has_prefix(head, "/* XPM */");
}

static char *first_icon(const char *dir, const char *const *names)
{
    for (const char *const *n = names; *n != NULL; n++) {
        g_autofree char *p = g_build_filename(dir, *n, NULL);
        if (is_icon(p)) {
            return g_canonicalize_filename(p, NULL);
        }
    }
    return NULL;
}

/* Unity games keep their icon at GAME_Data/Resources/UnityPlayer.png. */
static char *unity_icon(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    guint seen = 0;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL && seen++ < 1000) {
        if (g_str_has_suffix(name, "_Data")) {
            g_autofree char *p = g_build_filename(dir, name, "Resources", "UnityPlayer.png", NULL);
            if (is_icon(p)) {
                return g_steal_pointer(&p);
            }
        }
    }
    return NULL;
}

char *lo_game_find_icon(const char *game_path)
{
    g_autofree char *dir = g_path_get_dirname(game_path);
    g_autofree char *base = g_path_get_basename(game_path);
    g_autofree char *stem = g_strndup(base, strcspn(base, "."));
    g_autofree char *stem_png = g_strconcat(stem, ".png", NULL);
    g_autofree char *stem_svg = g_strconcat(stem, ".svg", NULL);
    const char *names[] = {stem_png,      stem_svg,   "icon.png",         "icon.svg",
                           "icon.xpm",    "game.png", "support/icon.png", "../support/icon.png",
                           "../icon.png", NULL};
    char *found = first_icon(dir, names);
    if (found == NULL) {
        found = unity_icon(dir);
    }
    if (found != NULL) {
        return found;
    }
    /* qemu-lorelei's own: installed beside the launcher, as configured, or
     * the source tree's for a build tree. */
    g_autofree char *rel = lo_relative_path(LO_ABS_BINDIR, LO_ABS_ICON);
    const char *ours[] = {rel, LO_ABS_ICON, LO_SOURCE_ICON};
    for (gsize i = 0; i < G_N_ELEMENTS(ours); i++) {
        g_autofree char *p = g_canonicalize_filename(ours[i], lo_exe_dir());
        if (is_icon(p)) {
            return g_steal_pointer(&p);
        }
    }
    return NULL;
}

/* A value of a desktop entry key: \s \n \t \r \\ escapes (Desktop Entry
 * Specification, "Possible value types"). Control characters were refused
 * before, so only the backslash needs it here. */
static void append_value(GString *out, const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (*p == '\\') {
            g_string_append(out, "\\\\");
        } else {
            g_string_append_c(out, *p);
        }
    }
}

/* One Exec argument: quoted when it holds a reserved character, with ", `,
 * $ and \ escaped inside the quotes; '%' doubled. */
static void append_exec_arg(GString *out, const char *arg)
{
    gboolean quote = arg[0] == '\0' || strpbrk(arg, " \t\n\"'\\><~|&;$*?#()`") != NULL;
    GString *a = g_string_new(NULL);
    for (const char *p = arg; *p != '\0'; p++) {
        if (quote && strchr("\"`$\\", *p) != NULL) {
            g_string_append_c(a, '\\');
        }
        if (*p == '%') {
            g_string_append_c(a, '%');
        }
        g_string_append_c(a, *p);
    }
    if (quote) {
        g_string_append_c(out, '"');
    }
    append_value(out, a->str); /* the Exec value is itself an escaped string */
    if (quote) {
        g_string_append_c(out, '"');
    }
    g_string_free(a, TRUE);
}

char *lo_game_desktop_entry(const LoGame *game, const char *exe, const char *icon)
{
    GString *out = g_string_new("[Desktop Entry]\n# Written by `qemu-lorelei add`; "
                                "`qemu-lorelei remove ");
    g_string_append_printf(out, "%s` deletes it.\nType=Application\nName=", game->id);
    append_value(out, game->name);
    g_string_append(out, "\nComment=x86_64 game run by qemu-lorelei\nExec=");
    /* No terminal behind a menu entry: a failure must show a dialog. */
    const char *argv[] = {exe, "run", "--error-dialog", game->id, NULL};
    for (const char *const *a = argv; *a != NULL; a++) {
        if (a != argv) {
            g_string_append_c(out, ' ');
        }
        append_exec_arg(out, *a);
    }
    g_string_append(out, "\nPath=");
    append_value(out, game->workdir);
    if (icon != NULL) {
        g_string_append(out, "\nIcon=");
        append_value(out, icon);
    }
    g_string_append(out, "\nTerminal=false\nCategories=Game;\n");
    g_string_append_printf(out, "X-QemuLorelei-Id=%s\n", game->id);
    return g_string_free(out, FALSE);
}

/* ---- run ID ----------------------------------------------------------------- */

gboolean lo_library_lookup_for_run(const char *word, LoGame **game, GError **error)
{
    *game = NULL;
    if (strchr(word, '/') != NULL || !lo_pattern_match(LO_PAT_ID, word)) {
        return TRUE;
    }
    g_autofree char *path = lo_library_path();
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        return TRUE;
    }
    g_autoptr(GPtrArray) games = lo_library_load(error);
    if (games == NULL) {
        return FALSE;
    }
    LoGame *g = lo_library_find(games, word);
    if (g != NULL) {
        *game = game_copy(g);
    }
    return TRUE;
}

gboolean lo_library_enter(const LoGame *game, GError **error)
{
    if (chdir(game->workdir) != 0) {
        int saved = errno;
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                    "game '%s': cannot change into its working folder %s: %s", game->id,
                    game->workdir, g_strerror(saved));
        lo_error_fix(error,
                     "add it again with the right folder: qemu-lorelei add --force --id %s "
                     "--workdir DIR GAME",
                     game->id);
        return FALSE;
    }
    return TRUE;
}

GPtrArray *lo_library_game_args(const LoGame *game, char **extra)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; game != NULL && i < game->args->len; i++) {
        g_ptr_array_add(out, game->args->pdata[i]);
    }
    for (char **a = extra; a != NULL && *a != NULL; a++) {
        g_ptr_array_add(out, *a);
    }
    g_ptr_array_add(out, NULL);
    return out;
}
