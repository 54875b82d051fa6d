/*
 * qemu-lorelei profile edit|remove, and the list of every layer's files
 * that `profile validate` checks when given none.
 *
 * edit works like `systemctl edit`: the user layer's file (a copy of the
 * effective profile when there is none yet) is edited in a draft beside it
 * (.ID.json.edit-XXXXXX: dot files are not profiles), validated, and only
 * then renamed over the real one. On a problem the editor opens again with
 * the problems shown; giving up keeps the old file and the draft (renamed
 * .ID.json.rejected) so no typing is lost.
 */
#include "commands.h"
#include "errors.h"
#include "json-util.h"
#include "paths.h"
#include "profile-rules.h"
#include "profile-store.h"
#include "profile-validate.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Tried in $PATH when neither $VISUAL nor $EDITOR is set (Debian's
 * alternatives first). */
static const char *const fallback_editors[] = {"editor", "sensible-editor", "nano", "vi", NULL};

static gboolean valid_id(const char *id, GError **error)
{
    if (!lo_is_line(id, NULL) || !lo_pattern_match(LO_PAT_ID, id)) {
        g_autofree char *shown = lo_printable(id, 80);
        lo_usage_error(error,
                       "'%s' is not a profile id (lowercase letters, digits, '.', '_', "
                       "'-')",
                       shown);
        return FALSE;
    }
    return TRUE;
}

/* The editor command as words ($VISUAL or $EDITOR may hold arguments). */
static char **editor_argv(GError **error)
{
    const char *vars[] = {"VISUAL", "EDITOR"};
    for (int i = 0; i < 2; i++) {
        const char *v = g_getenv(vars[i]);
        if (v != NULL && v[0] != '\0') {
            char **argv = NULL;
            g_autoptr(GError) local = NULL;
            if (!g_shell_parse_argv(v, NULL, &argv, &local)) {
                g_set_error(error, LO_ERROR, LO_EXIT_USAGE, "$%s (%s) cannot be read: %s", vars[i],
                            v, local->message);
                return NULL;
            }
            return argv;
        }
    }
    for (const char *const *e = fallback_editors; *e != NULL; e++) {
        g_autofree char *path = g_find_program_in_path(*e);
        if (path != NULL) {
            char **argv = g_new0(char *, 2);
            argv[0] = g_steal_pointer(&path);
            return argv;
        }
    }
    g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                "no editor: $VISUAL and $EDITOR are not set, and none of editor, "
                "sensible-editor, nano, vi is installed");
    lo_error_fix(error, "set one, e.g. EDITOR=nano qemu-lorelei profile edit ID");
    return NULL;
}

static gboolean run_editor(char **editor, const char *file, GError **error)
{
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    for (char **a = editor; *a != NULL; a++) {
        g_ptr_array_add(argv, *a);
    }
    g_ptr_array_add(argv, (char *)file);
    g_ptr_array_add(argv, NULL);
    int status = 0;
    g_autoptr(GError) local = NULL;
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL,
                      G_SPAWN_SEARCH_PATH | G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, NULL, NULL,
                      &status, &local)) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot start the editor %s: %s", editor[0],
                    local->message);
        lo_error_fix(error, "set $EDITOR to an editor you have");
        return FALSE;
    }
    if (!g_spawn_check_wait_status(status, &local)) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "the editor %s failed (%s)", editor[0],
                    local->message);
        return FALSE;
    }
    return TRUE;
}

/* Asks on the terminal (stdin); end of input means no. */
static gboolean ask_again(void)
{
    g_printerr("Edit again? [Y/n] ");
    char answer[64];
    if (fgets(answer, sizeof(answer), stdin) == NULL) {
        g_printerr("\n");
        return FALSE;
    }
    if (strchr(answer, '\n') == NULL) {
        g_printerr("\n");
    }
    if (!isatty(STDIN_FILENO)) {
        g_printerr("%s", answer); /* a terminal would have echoed it */
    }
    g_strstrip(answer);
    return answer[0] == '\0' || answer[0] == 'y' || answer[0] == 'Y';
}

/* The text the edit starts from: the user's file, or the effective profile. */
static char *starting_text(LoProfileStore *store, const char *id, const char *file,
                           gboolean *copied, GError **error)
{
    *copied = FALSE;
    g_autofree char *text = NULL;
    gsize len = 0;
    if (g_file_test(file, G_FILE_TEST_EXISTS)) {
        if (!lo_read_file_limited(file, LO_PROFILE_MAX_BYTES, &text, &len, error)) {
            return NULL;
        }
        return g_steal_pointer(&text);
    }
    g_autoptr(LoResolved) r = lo_profile_resolve(store, id, NULL, error);
    if (r == NULL) {
        lo_error_fix(error, "make a new one: qemu-lorelei profile new --id %s EXECUTABLE", id);
        return NULL;
    }
    g_autoptr(cJSON) doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "$comment",
                            "Your copy of this profile (the user layer): what you set here wins "
                            "over the built-in and community layers. Delete a key to get theirs "
                            "back; `qemu-lorelei profile remove ID` deletes this file.");
    cJSON_AddNumberToObject(doc, "schema", LO_PROFILE_SCHEMA);
    cJSON_AddStringToObject(doc, "id", id);
    for (const cJSON *m = r->merged->child; m != NULL; m = m->next) {
        if (strcmp(m->string, "id") != 0) {
            cJSON_AddItemToObject(doc, m->string, cJSON_Duplicate(m, TRUE));
        }
    }
    *copied = TRUE;
    return lo_json_to_string(doc);
}

/* The problems of an edited text: the schema's, and the id it must keep. */
static GPtrArray *problems_of(const char *text, gsize len, const char *id)
{
    GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(cJSON) doc = lo_profile_parse(text, len, problems);
    const char *got = doc != NULL ? lo_json_string(doc, "id") : NULL;
    if (doc != NULL && (got == NULL || strcmp(got, id) != 0)) {
        g_ptr_array_add(problems, g_strdup_printf("id: must stay '%s' (the file is %s.json; "
                                                  "for another id use `profile new`)",
                                                  id, id));
    }
    return problems;
}

gboolean lo_cmd_profile_edit(int argc, char **argv, GError **error)
{
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "ID",
        "Edit your own copy of profile ID ($XDG_CONFIG_HOME/qemu-lorelei/profiles/ID.json)\n"
        "in $VISUAL or $EDITOR (else editor, sensible-editor, nano or vi). Without a copy yet,\n"
        "it starts from the effective profile (every layer merged). The result is checked\n"
        "before it replaces the file: on a problem the editor opens again with the problems\n"
        "shown; if you give up, the old file stays and your draft is kept beside it.",
        "Examples:\n"
        "  qemu-lorelei profile edit glxgears\n"
        "  EDITOR=\"code --wait\" qemu-lorelei profile edit mygame",
        NULL);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no profile id given");
        return FALSE;
    }
    if (!lo_no_more_args(argc, argv, 2, error) || !valid_id(argv[1], error)) {
        return FALSE;
    }
    const char *id = argv[1];
    g_auto(GStrv) editor = editor_argv(error);
    if (editor == NULL) {
        return FALSE;
    }
    g_autoptr(LoProfileStore) store = lo_profile_store_load(error);
    if (store == NULL) {
        return FALSE;
    }
    g_autofree char *dir = lo_user_profiles_dir();
    g_autofree char *name = g_strconcat(id, ".json", NULL);
    g_autofree char *file = g_build_filename(dir, name, NULL);
    gboolean copied = FALSE;
    g_autofree char *start = starting_text(store, id, file, &copied, error);
    if (start == NULL) {
        return FALSE;
    }
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    g_autofree char *tmpl = g_strdup_printf(".%s.edit-XXXXXX", name);
    g_autofree char *draft = g_build_filename(dir, tmpl, NULL);
    int fd = g_mkstemp(draft);
    if (fd < 0 || write(fd, start, strlen(start)) != (ssize_t)strlen(start)) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot write %s: %s", draft,
                    g_strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return FALSE;
    }
    close(fd);
    if (copied) {
        g_printerr("qemu-lorelei: no profile '%s' of your own yet: editing a copy of the "
                   "effective one\n",
                   id);
    }
    for (;;) {
        if (!run_editor(editor, draft, error)) {
            unlink(draft);
            lo_error_note(error, "%s is unchanged", file);
            return FALSE;
        }
        g_autofree char *text = NULL;
        gsize len = 0;
        if (!lo_read_file_limited(draft, LO_PROFILE_MAX_BYTES, &text, &len, error)) {
            unlink(draft);
            return FALSE;
        }
        if (strcmp(text, start) == 0 && !copied) {
            unlink(draft);
            printf("no changes: %s stays as it was\n", file);
            return TRUE;
        }
        if (strcmp(text, start) == 0) {
            unlink(draft);
            printf("no changes: no copy written (profile '%s' stays as the other layers have "
                   "it)\n",
                   id);
            return TRUE;
        }
        g_autoptr(GPtrArray) problems = problems_of(text, len, id);
        if (problems->len == 0) {
            if (rename(draft, file) != 0) {
                g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot save %s: %s", file,
                            g_strerror(errno));
                return FALSE;
            }
            printf("saved %s\n", file);
            return TRUE;
        }
        g_printerr("%s: the profile has %u problem(s):\n", file, problems->len);
        for (guint i = 0; i < problems->len; i++) {
            g_printerr("  %s\n", (char *)problems->pdata[i]);
        }
        if (!ask_again()) {
            g_autofree char *kept_name = g_strdup_printf(".%s.rejected", name);
            g_autofree char *kept = g_build_filename(dir, kept_name, NULL);
            gboolean moved = rename(draft, kept) == 0;
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "profile '%s' not saved: it has the problems listed above", id);
            lo_error_note(error, "%s is unchanged", file);
            if (moved) {
                lo_error_note(error, "your draft is kept in %s", kept);
            }
            lo_error_fix(error, "run `qemu-lorelei profile edit %s` again", id);
            return FALSE;
        }
    }
}

gboolean lo_cmd_profile_remove(int argc, char **argv, GError **error)
{
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "ID",
        "Delete your own profile ID from the user layer\n"
        "($XDG_CONFIG_HOME/qemu-lorelei/profiles/ID.json). Built-in and community profiles\n"
        "are not yours to delete: with only those, it says so; after removing yours, the other\n"
        "layers' values apply again.",
        "Examples:\n  qemu-lorelei profile remove mygame\n  qemu-lorelei profile list   # the "
        "layers of each",
        NULL);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no profile id given");
        return FALSE;
    }
    if (!lo_no_more_args(argc, argv, 2, error) || !valid_id(argv[1], error)) {
        return FALSE;
    }
    const char *id = argv[1];
    g_autoptr(LoProfileStore) store = lo_profile_store_load(error);
    if (store == NULL) {
        return FALSE;
    }
    g_autofree char *dir = lo_user_profiles_dir();
    g_autofree char *name = g_strconcat(id, ".json", NULL);
    g_autofree char *file = g_build_filename(dir, name, NULL);
    GPtrArray *sources = lo_profile_store_sources(store, id);
    g_autoptr(GString) others = g_string_new(NULL);
    for (guint i = 0; sources != NULL && i < sources->len; i++) {
        const LoProfileSource *s = sources->pdata[i];
        if (s->layer != LO_LAYER_USER) {
            g_string_append_printf(others, "%s%s layer (%s)", others->len ? ", " : "",
                                   lo_layer_names[s->layer], s->path);
        }
    }
    if (unlink(file) != 0) {
        int saved = errno;
        if (saved != ENOENT) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot delete %s: %s", file,
                        g_strerror(saved));
            return FALSE;
        }
        if (others->len > 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                        "profile '%s' is not one of yours: it exists only in the %s", id,
                        others->str);
            lo_error_note(error, "`profile remove` deletes only your own profiles (%s)", dir);
            lo_error_fix(error, "to change it, edit your copy: qemu-lorelei profile edit %s", id);
            return FALSE;
        }
        /* In no layer: the resolver's error has the "did you mean". */
        lo_resolved_free(lo_profile_resolve(store, id, NULL, error));
        return FALSE;
    }
    printf("removed %s\n", file);
    if (others->len > 0) {
        printf("profile '%s' now comes from the %s\n", id, others->str);
    }
    return TRUE;
}

GPtrArray *lo_profile_every_file(GError **error)
{
    g_autoptr(LoProfileStore) store = lo_profile_store_load(error);
    if (store == NULL) {
        return NULL;
    }
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    for (int layer = LO_LAYER_BUILTIN; layer <= LO_LAYER_USER; layer++) {
        if (store->dirs[layer] == NULL) {
            continue;
        }
        g_autoptr(GDir) d = g_dir_open(store->dirs[layer], 0, NULL);
        g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
        const char *name;
        while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
            /* What the store reads: <id>.json, not the index or schema. */
            if (name[0] != '.' && g_str_has_suffix(name, ".json") &&
                strcmp(name, "index.json") != 0 && strcmp(name, "schema.json") != 0) {
                g_ptr_array_add(names, g_build_filename(store->dirs[layer], name, NULL));
            }
        }
        g_ptr_array_sort(names, lo_compare_strings);
        for (guint i = 0; i < names->len; i++) {
            g_ptr_array_add(files, g_strdup(names->pdata[i]));
        }
    }
    return files;
}
