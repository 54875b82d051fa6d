#include "profile-store.h"

#include "errors.h"
#include "match-index.h"
#include "paths.h"
#include "profile-rules.h"
#include "profile-validate.h"
#include "sysroot-store.h"
#include "util.h"

#include <string.h>

const char *const lo_layer_names[LO_N_LAYERS] = {"built-in", "community", "user", "command line"};

static void source_free(gpointer p)
{
    LoProfileSource *s = p;
    g_free(s->path);
    cJSON_Delete(s->doc);
    g_free(s);
}

static void skipped_free(gpointer p)
{
    LoSkippedFile *f = p;
    g_free(f->path);
    g_free(f->file_id);
    g_free(f->text);
    g_free(f->problem);
    g_free(f);
}

/* Records a file that was not used: its problem for the warnings, and its
 * bytes, to tell later whether it would have applied to the game. */
static void skip(LoProfileStore *store, LoLayer layer, const char *path, const char *file,
                 char *text, gsize length, const char *problem)
{
    LoSkippedFile *f = g_new0(LoSkippedFile, 1);
    f->layer = layer;
    f->path = g_strdup(path);
    f->file_id = g_strndup(file, strlen(file) - strlen(".json"));
    f->text = text;
    f->length = length;
    f->problem = g_strdup(problem);
    g_ptr_array_add(store->skipped, f);
    g_ptr_array_add(store->problems, g_strdup(problem));
}

static void load_file(LoProfileStore *store, LoLayer layer, const char *dir, const char *file)
{
    g_autofree char *path = g_build_filename(dir, file, NULL);
    g_autoptr(GError) error = NULL;
    char *text = NULL;
    gsize length = 0;
    if (!lo_read_file_limited(path, LO_PROFILE_MAX_BYTES, &text, &length, &error)) {
        skip(store, layer, path, file, NULL, 0, error->message);
        return;
    }
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    cJSON *doc = lo_profile_parse(text, length, problems);
    if (doc == NULL) {
        g_set_error(&error, LO_ERROR, LO_EXIT_INVALID, "%s is not a valid profile", path);
        lo_error_add_problems(&error, problems);
        skip(store, layer, path, file, text, length, error->message);
        return;
    }
    const char *id = cJSON_GetObjectItemCaseSensitive(doc, "id")->valuestring;
    g_autofree char *expected = g_strconcat(id, ".json", NULL);
    if (strcmp(file, expected) != 0) {
        g_autofree char *problem =
            g_strdup_printf("%s: profile '%s' must be in a file named %s", path, id, expected);
        skip(store, layer, path, file, text, length, problem);
        cJSON_Delete(doc);
        return;
    }
    g_free(text);
    GPtrArray *list = g_hash_table_lookup(store->by_id, id);
    if (list == NULL) {
        list = g_ptr_array_new_with_free_func(source_free);
        g_hash_table_insert(store->by_id, g_strdup(id), list);
    }
    LoProfileSource *s = g_new0(LoProfileSource, 1);
    s->layer = layer;
    s->path = g_steal_pointer(&path);
    s->doc = doc;
    /* In layer order, also when a community file is read after the user's. */
    guint at = 0;
    while (at < list->len && ((LoProfileSource *)list->pdata[at])->layer <= layer) {
        at++;
    }
    g_ptr_array_insert(list, (gint)at, s);
}

static void load_layer(LoProfileStore *store, LoLayer layer, const char *dir)
{
    store->dirs[layer] = g_strdup(dir);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (d == NULL) {
        return; /* a layer nobody created yet is an empty layer */
    }
    /* Sorted, so problems and "also matched" lists are reproducible. */
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (name[0] == '.' || !g_str_has_suffix(name, ".json") || strcmp(name, "index.json") == 0 ||
            strcmp(name, "schema.json") == 0) {
            continue;
        }
        if (names->len == LO_MAX_PROFILES_PER_LAYER) {
            g_ptr_array_add(store->problems,
                            g_strdup_printf("%s: more than %d profiles; the rest were ignored", dir,
                                            LO_MAX_PROFILES_PER_LAYER));
            break;
        }
        g_ptr_array_add(names, g_strdup(name));
    }
    g_ptr_array_sort(names, lo_compare_strings);
    for (guint i = 0; i < names->len; i++) {
        load_file(store, layer, dir, names->pdata[i]);
    }
}

/* The community profile id, read now if the layer is read on demand and it
 * was not looked for yet. */
static void load_community_id(LoProfileStore *store, const char *id)
{
    if (store->community_index == NULL || !g_hash_table_add(store->community_tried, g_strdup(id))) {
        return;
    }
    g_autofree char *file = g_strconcat(id, ".json", NULL);
    g_autofree char *path = g_build_filename(store->dirs[LO_LAYER_COMMUNITY], file, NULL);
    if (lo_pattern_match(LO_PAT_ID, id) && g_file_test(path, G_FILE_TEST_EXISTS)) {
        load_file(store, LO_LAYER_COMMUNITY, store->dirs[LO_LAYER_COMMUNITY], file);
    }
}

/* Gives up reading the community layer on demand: reads it whole. */
static void read_community_whole(LoProfileStore *store, const char *why)
{
    g_clear_pointer(&store->community_index, lo_match_index_free);
    g_autofree char *dir = g_strdup(store->dirs[LO_LAYER_COMMUNITY]);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (d == NULL) {
        return;
    }
    /* Files read on demand already are in by_id: read only the others. */
    GHashTable *tried = g_steal_pointer(&store->community_tried);
    store->community_tried = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (name[0] != '.' && g_str_has_suffix(name, ".json") && strcmp(name, "index.json") != 0 &&
            strcmp(name, "schema.json") != 0 && names->len < LO_MAX_PROFILES_PER_LAYER) {
            g_autofree char *id = g_strndup(name, strlen(name) - strlen(".json"));
            if (!g_hash_table_contains(tried, id)) {
                g_ptr_array_add(names, g_strdup(name));
            }
        }
    }
    g_hash_table_unref(tried);
    if (names->len == 0) {
        return;
    }
    g_ptr_array_sort(names, lo_compare_strings);
    for (guint i = 0; i < names->len; i++) {
        load_file(store, LO_LAYER_COMMUNITY, dir, names->pdata[i]);
    }
    g_ptr_array_add(store->notes,
                    g_strdup_printf("the community profiles in %s %s, so every launch reads all "
                                    "of them; `qemu-lorelei profile sync` makes a new index",
                                    dir, why));
}

static LoProfileStore *store_new(void)
{
    LoProfileStore *store = g_new0(LoProfileStore, 1);
    store->by_id =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    store->problems = g_ptr_array_new_with_free_func(g_free);
    store->skipped = g_ptr_array_new_with_free_func(skipped_free);
    store->notes = g_ptr_array_new_with_free_func(g_free);
    store->community_tried = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return store;
}

LoProfileStore *lo_profile_store_load_dirs(const char *builtin, const char *community,
                                           const char *user)
{
    LoProfileStore *store = store_new();
    const char *dirs[] = {builtin, community, user};
    for (int layer = LO_LAYER_BUILTIN; layer <= LO_LAYER_USER; layer++) {
        if (dirs[layer] != NULL) {
            load_layer(store, layer, dirs[layer]);
        }
    }
    return store;
}

LoProfileStore *lo_profile_store_open_dirs(const char *builtin, const char *community,
                                           const char *user)
{
    LoProfileStore *store = store_new();
    if (builtin != NULL) {
        load_layer(store, LO_LAYER_BUILTIN, builtin);
    }
    if (user != NULL) {
        load_layer(store, LO_LAYER_USER, user);
    }
    if (community != NULL) {
        store->dirs[LO_LAYER_COMMUNITY] = g_strdup(community);
        g_autoptr(GError) error = NULL;
        store->community_index = lo_match_index_open(community, &error);
        if (store->community_index == NULL) {
            read_community_whole(store, g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                                            ? "have no match index (synced by an older "
                                              "qemu-lorelei?)"
                                            : "have a damaged match index");
        }
    }
    return store;
}

/* LORELEI_PROFILES_DIR, checked; NULL (and no error) when unset and none is
 * installed. */
static gboolean builtin_dir(char **dir, GError **error)
{
    g_autoptr(GError) local = NULL;
    *dir = lo_artifact_find(LO_ARTIFACT_PROFILES, &local);
    const char *env = g_getenv(lo_artifact_env(LO_ARTIFACT_PROFILES));
    if (*dir == NULL && env != NULL && env[0] != '\0') {
        g_propagate_error(error, g_steal_pointer(&local));
        return FALSE;
    }
    return TRUE;
}

LoProfileStore *lo_profile_store_open(GError **error)
{
    g_autofree char *builtin = NULL;
    if (!builtin_dir(&builtin, error)) {
        return NULL;
    }
    g_autofree char *community = lo_community_dir();
    g_autofree char *user = lo_user_profiles_dir();
    return lo_profile_store_open_dirs(builtin, community, user);
}

gboolean lo_profile_store_community_candidates(LoProfileStore *store, const char *const *exe_names,
                                               const char *sha256, gboolean *lists_sha256)
{
    *lists_sha256 = FALSE;
    if (store->community_index == NULL) {
        return TRUE;
    }
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = TRUE, sha_only = FALSE;
    for (const char *const *n = exe_names; ok && *n != NULL; n++) {
        ok = lo_match_index_exe(store->community_index, *n, ids, lists_sha256);
    }
    if (ok && sha256 != NULL) {
        ok = lo_match_index_sha256(store->community_index, sha256, ids);
    }
    ok = ok && lo_match_index_sha256_only(store->community_index, &sha_only);
    if (!ok) {
        read_community_whole(store, "have a damaged match index");
        *lists_sha256 = TRUE; /* nothing is known: hash */
        return FALSE;
    }
    *lists_sha256 = *lists_sha256 || sha_only;
    for (guint i = 0; i < ids->len; i++) {
        load_community_id(store, ids->pdata[i]);
    }
    return TRUE;
}

LoProfileStore *lo_profile_store_load(GError **error)
{
    g_autofree char *builtin = NULL;
    if (!builtin_dir(&builtin, error)) {
        return NULL;
    }
    g_autofree char *community = lo_community_dir();
    g_autofree char *user = lo_user_profiles_dir();
    return lo_profile_store_load_dirs(builtin, community, user);
}

void lo_profile_store_free(LoProfileStore *store)
{
    if (store == NULL) {
        return;
    }
    for (int i = 0; i < LO_N_LAYERS; i++) {
        g_free(store->dirs[i]);
    }
    g_hash_table_unref(store->by_id);
    g_ptr_array_unref(store->problems);
    g_ptr_array_unref(store->skipped);
    g_ptr_array_unref(store->notes);
    g_hash_table_unref(store->community_tried);
    lo_match_index_free(store->community_index);
    g_free(store);
}

GPtrArray *lo_profile_store_ids(LoProfileStore *store)
{
    GPtrArray *ids = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, store->by_id);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        g_ptr_array_add(ids, key);
    }
    g_ptr_array_sort(ids, lo_compare_strings);
    return ids;
}

GPtrArray *lo_profile_store_sources(LoProfileStore *store, const char *id)
{
    load_community_id(store, id);
    return g_hash_table_lookup(store->by_id, id);
}

void lo_profile_store_warn(LoProfileStore *store)
{
    for (guint i = 0; i < store->notes->len; i++) {
        g_autofree char *shown = lo_printable_text(store->notes->pdata[i]);
        g_printerr("qemu-lorelei: note: %s\n", shown);
    }
    for (guint i = 0; i < store->problems->len; i++) {
        g_autofree char *shown = lo_printable_text(store->problems->pdata[i]);
        g_printerr("warning: skipped %s\n", shown);
    }
    if (store->problems->len > 0) {
        g_printerr("  fix: correct or remove the file(s) above; `qemu-lorelei profile validate "
                   "FILE` explains each problem\n");
    }
}

/* Merges src into dst (both objects), recording where each value came from. */
static void merge_into(cJSON *dst, const cJSON *src, GString *path, GHashTable *origin,
                       LoProfileSource *from)
{
    for (const cJSON *m = src->child; m != NULL; m = m->next) {
        if (strcmp(m->string, "$comment") == 0 ||
            (path->len == 0 && !strcmp(m->string, "schema"))) {
            continue;
        }
        gsize saved = path->len;
        g_string_append_printf(path, "%s%s", saved ? "." : "", m->string);
        cJSON *existing = cJSON_GetObjectItemCaseSensitive(dst, m->string);
        if (cJSON_IsObject(m)) {
            if (!cJSON_IsObject(existing)) {
                cJSON_DeleteItemFromObjectCaseSensitive(dst, m->string);
                existing = cJSON_AddObjectToObject(dst, m->string);
            }
            merge_into(existing, m, path, origin, from);
        } else {
            cJSON *copy = cJSON_Duplicate(m, TRUE);
            if (existing != NULL) {
                cJSON_ReplaceItemInObjectCaseSensitive(dst, m->string, copy);
            } else {
                cJSON_AddItemToObject(dst, m->string, copy);
            }
            g_hash_table_insert(origin, g_strdup(path->str), from);
        }
        g_string_truncate(path, saved);
    }
}

/* Every id there is, for "did you mean": the community layer's too when it
 * is read on demand (its file names, which sync made <id>.json). */
static GPtrArray *suggestion_ids(LoProfileStore *store)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) known = lo_profile_store_ids(store);
    for (guint i = 0; i < known->len; i++) {
        g_ptr_array_add(ids, g_strdup(known->pdata[i]));
    }
    g_autoptr(GDir) d = store->community_index != NULL
                            ? g_dir_open(store->dirs[LO_LAYER_COMMUNITY], 0, NULL)
                            : NULL;
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (name[0] != '.' && g_str_has_suffix(name, ".json")) {
            g_ptr_array_add(ids, g_strndup(name, strlen(name) - strlen(".json")));
        }
    }
    return ids;
}

static void no_free(gpointer p)
{
    (void)p;
}

LoResolved *lo_profile_resolve(LoProfileStore *store, const char *id, const cJSON *cli,
                               GError **error)
{
    GPtrArray *sources = NULL;
    if (id != NULL) {
        sources = lo_profile_store_sources(store, id);
        if (sources == NULL) {
            g_autofree char *shown = lo_printable(id, 80);
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "no profile with id '%s'", shown);
            g_autoptr(GPtrArray) ids = suggestion_ids(store);
            g_ptr_array_add(ids, NULL);
            const char *guess = lo_closest_match(id, (const char *const *)ids->pdata);
            g_autofree char *file = g_strconcat("/", id, ".json", NULL);
            for (guint i = 0; i < store->problems->len; i++) {
                if (strstr(store->problems->pdata[i], file) != NULL) {
                    lo_error_note(error, "a file that may define it was skipped: %s",
                                  (const char *)store->problems->pdata[i]);
                }
            }
            if (guess != NULL) {
                lo_error_fix(error, "did you mean '%s'? `qemu-lorelei profile list` shows all",
                             guess);
            } else {
                lo_error_fix(error, "`qemu-lorelei profile list` shows the profiles there are");
            }
            return NULL;
        }
    }
    LoResolved *r = g_new0(LoResolved, 1);
    r->id = g_strdup(id);
    r->merged = cJSON_CreateObject();
    r->origin = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, no_free);
    r->sources = g_ptr_array_new_with_free_func(source_free);
    g_autoptr(GString) path = g_string_new(NULL);
    for (guint i = 0; sources != NULL && i < sources->len; i++) {
        const LoProfileSource *s = sources->pdata[i];
        LoProfileSource *copy = g_new0(LoProfileSource, 1);
        copy->layer = s->layer;
        copy->path = g_strdup(s->path);
        copy->doc = cJSON_Duplicate(s->doc, TRUE);
        g_ptr_array_add(r->sources, copy);
        merge_into(r->merged, copy->doc, path, r->origin, copy);
    }
    if (cli != NULL && cli->child != NULL) {
        LoProfileSource *copy = g_new0(LoProfileSource, 1);
        copy->layer = LO_LAYER_CLI;
        copy->doc = cJSON_Duplicate(cli, TRUE);
        g_ptr_array_add(r->sources, copy);
        merge_into(r->merged, copy->doc, path, r->origin, copy);
    }
    return r;
}

cJSON *lo_cli_layer(const char *sysroot, char *const *no_thunk, GError **error)
{
    g_autoptr(cJSON) cli = cJSON_CreateObject();
    if (sysroot != NULL) {
        if (!lo_sysroot_name_check(sysroot, error)) {
            return NULL;
        }
        cJSON_AddStringToObject(cli, "sysroot", sysroot);
    }
    for (char *const *t = no_thunk; t != NULL && *t != NULL; t++) {
        if (lo_thunk_from_name(*t) < 0) {
            g_autofree char *shown = lo_printable(*t, 40);
            lo_usage_error(error, "--no-thunk %s: unknown library (known: sdl2, gl, vulkan)",
                           shown);
            return NULL;
        }
        cJSON *thunks = cJSON_GetObjectItemCaseSensitive(cli, "thunks");
        if (thunks == NULL) {
            thunks = cJSON_AddObjectToObject(cli, "thunks");
        }
        if (cJSON_GetObjectItemCaseSensitive(thunks, *t) == NULL) {
            cJSON_AddFalseToObject(thunks, *t);
        }
    }
    return g_steal_pointer(&cli);
}

void lo_resolved_free(LoResolved *r)
{
    if (r == NULL) {
        return;
    }
    g_free(r->id);
    cJSON_Delete(r->merged);
    g_hash_table_unref(r->origin);
    g_ptr_array_unref(r->sources);
    g_free(r);
}

char *lo_resolved_origin_text(const LoResolved *r, const char *path)
{
    const LoProfileSource *s = g_hash_table_lookup(r->origin, path);
    if (s == NULL) {
        return g_strdup("default");
    }
    if (s->path == NULL) {
        return g_strdup(lo_layer_names[s->layer]);
    }
    return g_strdup_printf("%s (%s)", lo_layer_names[s->layer], s->path);
}

static gboolean list_contains(const cJSON *list, const char *value)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        if (cJSON_IsString(item) && strcmp(item->valuestring, value) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

LoLayer lo_profile_top_layer(const GPtrArray *sources)
{
    LoLayer top = LO_LAYER_BUILTIN;
    for (guint i = 0; sources != NULL && i < sources->len; i++) {
        const LoProfileSource *s = sources->pdata[i];
        top = MAX(top, s->layer);
    }
    return top;
}

typedef struct {
    const char *id;
    LoLayer layer;
    LoMatchKind kind;
} Candidate;

/* Whether a ranks before b: the higher layer first (the user's own profiles
 * are never out-ranked by a repository's), then the stronger match, then
 * the smaller id. */
static gboolean ranks_before(const Candidate *a, const Candidate *b)
{
    if (a->layer != b->layer) {
        return a->layer > b->layer;
    }
    if (a->kind != b->kind) {
        return a->kind > b->kind;
    }
    return strcmp(a->id, b->id) < 0;
}

LoMatch lo_profile_match(LoProfileStore *store, const char *const *exe_names, const char *sha256)
{
    LoMatch best = {LO_MATCH_NONE, NULL, g_ptr_array_new_with_free_func(g_free), LO_LAYER_BUILTIN};
    gboolean lists_sha256;
    lo_profile_store_community_candidates(store, exe_names, sha256, &lists_sha256);
    g_autoptr(GPtrArray) ids = lo_profile_store_ids(store);
    g_autoptr(GArray) found = g_array_new(FALSE, FALSE, sizeof(Candidate));
    for (guint i = 0; i < ids->len; i++) {
        const char *id = ids->pdata[i];
        g_autoptr(LoResolved) r = lo_profile_resolve(store, id, NULL, NULL);
        const cJSON *match = cJSON_GetObjectItemCaseSensitive(r->merged, "match");
        LoMatchKind kind = LO_MATCH_NONE;
        if (sha256 != NULL &&
            list_contains(cJSON_GetObjectItemCaseSensitive(match, "sha256"), sha256)) {
            kind = LO_MATCH_SHA256;
        } else {
            const cJSON *exe = cJSON_GetObjectItemCaseSensitive(match, "exe");
            for (const char *const *n = exe_names; *n != NULL && kind == LO_MATCH_NONE; n++) {
                if (list_contains(exe, *n)) {
                    kind = LO_MATCH_EXE_NAME;
                }
            }
        }
        if (kind != LO_MATCH_NONE) {
            Candidate c = {id, lo_profile_top_layer(lo_profile_store_sources(store, id)), kind};
            g_array_append_val(found, c);
        }
    }
    const Candidate *winner = NULL;
    for (guint i = 0; i < found->len; i++) {
        const Candidate *c = &g_array_index(found, Candidate, i);
        if (winner == NULL || ranks_before(c, winner)) {
            winner = c;
        }
    }
    if (winner == NULL) {
        return best;
    }
    best.id = g_strdup(winner->id);
    best.kind = winner->kind;
    best.layer = winner->layer;
    /* The rivals worth a note: as strong a match, beaten by layer or id. */
    for (guint i = 0; i < found->len; i++) {
        const Candidate *c = &g_array_index(found, Candidate, i);
        if (c != winner && c->kind >= winner->kind) {
            g_ptr_array_add(best.also, g_strdup(c->id));
        }
    }
    return best;
}

void lo_match_clear(LoMatch *m)
{
    g_free(m->id);
    m->id = NULL;
    if (m->also != NULL) {
        g_ptr_array_unref(m->also);
        m->also = NULL;
    }
}

/* Whether list (a JSON array) holds value as a string. */
static gboolean lists(const cJSON *obj, const char *key, const char *value)
{
    return value != NULL && list_contains(cJSON_GetObjectItemCaseSensitive(obj, key), value);
}

/* Whether text holds value as a whole JSON string ("value", escaped). */
static gboolean mentions(const char *text, gsize length, const char *value)
{
    g_autoptr(GString) quoted = g_string_new(NULL);
    g_autoptr(cJSON) string = cJSON_CreateString(value);
    lo_json_write(quoted, string, 0);
    return g_strstr_len(text, length, quoted->str) != NULL;
}

const LoSkippedFile *lo_profile_store_broken_match(LoProfileStore *store, const char *id,
                                                   const char *const *exe_names, const char *sha256,
                                                   char **why)
{
    for (guint i = 0; i < store->skipped->len; i++) {
        const LoSkippedFile *f = store->skipped->pdata[i];
        if (id != NULL && strcmp(f->file_id, id) == 0) {
            *why = f->layer == LO_LAYER_USER
                       ? g_strdup_printf("it is your file for profile '%s'", id)
                       : g_strdup_printf("it is the %s file for profile '%s'",
                                         lo_layer_names[f->layer], id);
            return f;
        }
        if (f->text == NULL) {
            continue;
        }
        g_autoptr(cJSON) doc = lo_json_parse_strict(f->text, f->length, NULL);
        if (doc != NULL) {
            const cJSON *match = cJSON_GetObjectItemCaseSensitive(doc, "match");
            const char *doc_id = lo_json_string(doc, "id");
            gboolean names_it = lists(match, "sha256", sha256);
            for (const char *const *n = exe_names; *n != NULL && !names_it; n++) {
                names_it = lists(match, "exe", *n);
            }
            if (names_it || (id != NULL && doc_id != NULL && strcmp(doc_id, id) == 0)) {
                *why = g_strdup(names_it ? "it names this game"
                                         : "it defines the profile this game matched");
                return f;
            }
            continue;
        }
        /* Not even JSON: whether it mentions the game's name or sha256. */
        gboolean names_it = sha256 != NULL && mentions(f->text, f->length, sha256);
        for (const char *const *n = exe_names; *n != NULL && !names_it; n++) {
            names_it = mentions(f->text, f->length, *n);
        }
        if (names_it) {
            *why = g_strdup("it names this game");
            return f;
        }
    }
    return NULL;
}

/* Whether a file lists sha256s that could be this program's: it names the
 * program, or no program at all. */
static gboolean source_wants_sha256(const cJSON *doc, const char *const *exe_names)
{
    const cJSON *match = cJSON_GetObjectItemCaseSensitive(doc, "match");
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(match, "sha256")) == 0) {
        return FALSE;
    }
    const cJSON *exe = cJSON_GetObjectItemCaseSensitive(match, "exe");
    if (cJSON_GetArraySize(exe) == 0) {
        return TRUE;
    }
    for (const char *const *n = exe_names; *n != NULL; n++) {
        if (list_contains(exe, *n)) {
            return TRUE;
        }
    }
    return FALSE;
}

gboolean lo_profile_store_wants_sha256(LoProfileStore *store, const char *const *exe_names)
{
    gboolean wants = FALSE;
    lo_profile_store_community_candidates(store, exe_names, NULL, &wants);
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, store->by_id);
    while (!wants && g_hash_table_iter_next(&it, NULL, &value)) {
        GPtrArray *sources = value;
        for (guint i = 0; i < sources->len && !wants; i++) {
            wants = source_wants_sha256(((LoProfileSource *)sources->pdata[i])->doc, exe_names);
        }
    }
    return wants;
}
