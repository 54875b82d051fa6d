/* Profile layers (profile-store.c): loading, merging key by key, where each
 * value came from, and choosing the profile for a program. */
#include "match-index.h"
#include "profile-store.h"
#include "run-settings.h"
#include "testutil.h"

#include <string.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

typedef struct {
    char *root;
    char *dirs[3];
} Layers;

static void layers_setup(Layers *l, gconstpointer data)
{
    (void)data;
    l->root = test_tmpdir();
    const char *names[] = {"builtin", "community", "user"};
    for (int i = 0; i < 3; i++) {
        l->dirs[i] = g_build_filename(l->root, names[i], NULL);
        g_mkdir_with_parents(l->dirs[i], 0755);
    }
}

static void layers_teardown(Layers *l, gconstpointer data)
{
    (void)data;
    for (int i = 0; i < 3; i++) {
        g_free(l->dirs[i]);
    }
    test_tmpdir_free(l->root);
}

static void put(Layers *l, int layer, const char *file, const char *text)
{
    g_free(test_write(l->dirs[layer], file, text));
}

static LoProfileStore *load(Layers *l)
{
    return lo_profile_store_load_dirs(l->dirs[0], l->dirs[1], l->dirs[2]);
}

static const char *str_at(const cJSON *root, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, a);
    if (b != NULL) {
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    }
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void expect_origin(LoResolved *r, const char *path, LoLayer layer)
{
    const LoProfileSource *s = g_hash_table_lookup(r->origin, path);
    g_assert_nonnull(s);
    g_assert_cmpstr(lo_layer_names[s->layer], ==, lo_layer_names[layer]);
}

static void test_merge_and_origin(Layers *l, gconstpointer data)
{
    (void)data;
    put(l, 0, "game.json",
        "{\"schema\": 1, \"id\": \"game\", \"name\": \"Game\", \"env\": {\"SDL_VIDEODRIVER\": "
        "\"x11\", "
        "\"vblank_mode\": \"1\"},"
        " \"thunks\": {\"sdl2\": true, \"gl\": true}, \"args\": [\"-a\", \"-b\"], \"qemu\": "
        "{\"cpu\": \"Haswell\"},"
        " \"status\": \"runs\"}");
    put(l, 1, "game.json",
        "{\"schema\": 1, \"id\": \"game\", \"env\": {\"vblank_mode\": \"2\"}, \"args\": [\"-c\"], "
        "\"status\": \"playable\"}");
    put(l, 2, "game.json",
        "{\"$comment\": \"mine\", \"schema\": 1, \"id\": \"game\", \"env\": {\"mesa_glthread\": "
        "\"true\"}, "
        "\"thunks\": {\"gl\": false}}");
    g_autoptr(LoProfileStore) store = load(l);
    g_assert_cmpuint(store->problems->len, ==, 0);
    g_autoptr(cJSON) cli = cJSON_Parse("{\"thunks\": {\"sdl2\": false}, \"sysroot\": \"deb\"}");
    g_autoptr(GError) error = NULL;
    g_autoptr(LoResolved) r = lo_profile_resolve(store, "game", cli, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(r->sources->len, ==, 4);
    g_assert_cmpstr(str_at(r->merged, "env", "SDL_VIDEODRIVER"), ==, "x11");
    g_assert_cmpstr(str_at(r->merged, "env", "vblank_mode"), ==, "2");
    g_assert_cmpstr(str_at(r->merged, "env", "mesa_glthread"), ==, "true");
    g_assert_cmpstr(str_at(r->merged, "status", NULL), ==, "playable");
    g_assert_cmpstr(str_at(r->merged, "name", NULL), ==, "Game");
    g_assert_cmpstr(str_at(r->merged, "sysroot", NULL), ==, "deb");
    /* Lists are replaced whole, not merged. */
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(r->merged, "args");
    g_assert_cmpint(cJSON_GetArraySize(args), ==, 1);
    g_assert_cmpstr(cJSON_GetArrayItem(args, 0)->valuestring, ==, "-c");
    /* Comments and the schema version are not part of the result. */
    g_assert_null(cJSON_GetObjectItemCaseSensitive(r->merged, "$comment"));
    g_assert_null(cJSON_GetObjectItemCaseSensitive(r->merged, "schema"));
    expect_origin(r, "env.SDL_VIDEODRIVER", LO_LAYER_BUILTIN);
    expect_origin(r, "env.vblank_mode", LO_LAYER_COMMUNITY);
    expect_origin(r, "env.mesa_glthread", LO_LAYER_USER);
    expect_origin(r, "thunks.gl", LO_LAYER_USER);
    expect_origin(r, "thunks.sdl2", LO_LAYER_CLI);
    expect_origin(r, "args", LO_LAYER_COMMUNITY);
    expect_origin(r, "qemu.cpu", LO_LAYER_BUILTIN);
    expect_origin(r, "sysroot", LO_LAYER_CLI);
    g_autofree char *text = lo_resolved_origin_text(r, "env.mesa_glthread");
    g_assert_true(g_str_has_prefix(text, "user ("));
    g_assert_true(g_str_has_suffix(text, "user/game.json)"));
    g_autofree char *none = lo_resolved_origin_text(r, "thunks.vulkan");
    g_assert_cmpstr(none, ==, "default");

    g_autoptr(LoRunSettings) s = lo_run_settings_from_profile(r->merged);
    g_assert_false(s->thunks[LO_THUNK_SDL2]);
    g_assert_false(s->thunks[LO_THUNK_GL]);
    g_assert_true(s->thunks[LO_THUNK_VULKAN]);
    g_assert_cmpstr(s->cpu, ==, "Haswell");
    g_assert_cmpstr(s->sysroot, ==, "deb");
    g_assert_cmpuint(s->env_keys->len, ==, 3);
}

static void test_defaults_without_profile(Layers *l, gconstpointer data)
{
    (void)data;
    g_autoptr(LoProfileStore) store = load(l);
    g_autoptr(LoResolved) r = lo_profile_resolve(store, NULL, NULL, NULL);
    g_assert_nonnull(r);
    g_autoptr(LoRunSettings) s = lo_run_settings_from_profile(r->merged);
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_assert_true(s->thunks[i]);
    }
    g_assert_cmpstr(s->cpu, ==, LO_DEFAULT_CPU);
    g_assert_null(s->sysroot);
    g_assert_cmpuint(s->args->len, ==, 0);
}

static void test_bad_files_are_skipped_and_reported(Layers *l, gconstpointer data)
{
    (void)data;
    put(l, 0, "good.json", "{\"schema\": 1, \"id\": \"good\"}");
    put(l, 1, "evil.json",
        "{\"schema\": 1, \"id\": \"evil\", \"env\": {\"LD_PRELOAD\": \"/tmp/x.so\"}}");
    put(l, 2, "renamed.json", "{\"schema\": 1, \"id\": \"other\"}");
    put(l, 2, "notes.txt", "ignored: not .json");
    put(l, 2, ".hidden.json", "ignored: hidden");
    put(l, 0, "index.json", "{\"not\": \"a profile\"}");
    g_autoptr(LoProfileStore) store = load(l);
    g_autoptr(GPtrArray) ids = lo_profile_store_ids(store);
    g_assert_cmpuint(ids->len, ==, 1);
    g_assert_cmpstr(ids->pdata[0], ==, "good");
    g_assert_cmpuint(store->problems->len, ==, 2);
    g_assert_true(test_has_problem(store->problems, "evil.json is not a valid profile"));
    g_assert_true(test_has_problem(store->problems, "LD_* variables are never allowed"));
    g_assert_true(test_has_problem(
        store->problems, "renamed.json: profile 'other' must be in a file named other.json"));
    g_autoptr(GError) error = NULL;
    g_autoptr(LoResolved) r = lo_profile_resolve(store, "evil", NULL, &error);
    g_assert_null(r);
    g_assert_nonnull(strstr(error->message, "no profile with id 'evil'"));
    g_assert_nonnull(strstr(error->message, "a file that may define it was skipped"));
}

static void test_unknown_id_suggests(Layers *l, gconstpointer data)
{
    (void)data;
    put(l, 0, "glxgears.json", "{\"schema\": 1, \"id\": \"glxgears\"}");
    g_autoptr(LoProfileStore) store = load(l);
    g_autoptr(GError) error = NULL;
    g_assert_null(lo_profile_resolve(store, "glxgear", NULL, &error));
    g_assert_nonnull(strstr(error->message, "did you mean 'glxgears'?"));
}

static void test_match_prefers_sha256(Layers *l, gconstpointer data)
{
    (void)data;
    put(l, 0, "by-name.json",
        "{\"schema\": 1, \"id\": \"by-name\", \"match\": {\"exe\": [\"game\"]}}");
    put(l, 0, "by-sha.json",
        "{\"schema\": 1, \"id\": \"by-sha\", \"match\": {\"exe\": [\"other\"], \"sha256\": "
        "[\"" SHA_A "\"]}}");
    put(l, 0, "also-name.json",
        "{\"schema\": 1, \"id\": \"also-name\", \"match\": {\"exe\": [\"game\"]}}");
    g_autoptr(LoProfileStore) store = load(l);
    const char *names[] = {"game", "game.x86_64", NULL};
    LoMatch m = lo_profile_match(store, names, SHA_A);
    g_assert_cmpint(m.kind, ==, LO_MATCH_SHA256);
    g_assert_cmpstr(m.id, ==, "by-sha");
    g_assert_cmpuint(m.also->len, ==, 0);
    lo_match_clear(&m);
    m = lo_profile_match(store, names, SHA_B);
    g_assert_cmpint(m.kind, ==, LO_MATCH_EXE_NAME);
    g_assert_cmpstr(m.id, ==, "also-name"); /* the smallest id of equals */
    g_assert_cmpuint(m.also->len, ==, 1);
    g_assert_cmpstr(m.also->pdata[0], ==, "by-name");
    lo_match_clear(&m);
    const char *none[] = {"unknown", NULL};
    m = lo_profile_match(store, none, SHA_B);
    g_assert_cmpint(m.kind, ==, LO_MATCH_NONE);
    g_assert_null(m.id);
    lo_match_clear(&m);
}

static void test_match_uses_merged_layers(Layers *l, gconstpointer data)
{
    (void)data;
    /* The user adds the sha256 of their build to a built-in profile. */
    put(l, 0, "game.json", "{\"schema\": 1, \"id\": \"game\", \"match\": {\"exe\": [\"game\"]}}");
    put(l, 2, "game.json",
        "{\"schema\": 1, \"id\": \"game\", \"match\": {\"sha256\": [\"" SHA_B "\"]}}");
    g_autoptr(LoProfileStore) store = load(l);
    const char *names[] = {"renamed", NULL};
    LoMatch m = lo_profile_match(store, names, SHA_B);
    g_assert_cmpint(m.kind, ==, LO_MATCH_SHA256);
    g_assert_cmpstr(m.id, ==, "game");
    lo_match_clear(&m);
}

/* Equal matches in different layers: the user's own profile wins over
 * community and built-in ones, community over built-in, whatever the ids.
 * A synced "0-hijack" used to replace the user's "mygame" (smaller id). */
static void test_match_prefers_higher_layers(Layers *l, gconstpointer data)
{
    (void)data;
    put(l, 2, "mygame.json",
        "{\"schema\": 1, \"id\": \"mygame\", \"match\": {\"exe\": [\"mygame\"]}, "
        "\"args\": [\"--mine\"]}");
    put(l, 1, "0-hijack.json",
        "{\"schema\": 1, \"id\": \"0-hijack\", \"match\": {\"exe\": [\"mygame\"]}, "
        "\"args\": [\"--theirs\"]}");
    put(l, 0, "00-builtin.json",
        "{\"schema\": 1, \"id\": \"00-builtin\", \"match\": {\"exe\": [\"mygame\", "
        "\"other\"]}}");
    put(l, 1, "1-community.json",
        "{\"schema\": 1, \"id\": \"1-community\", \"match\": {\"exe\": [\"other\"]}}");
    /* A user file that only tweaks a built-in profile puts it in the user layer. */
    put(l, 0, "tweaked.json",
        "{\"schema\": 1, \"id\": \"tweaked\", \"match\": {\"exe\": [\"third\"]}}");
    put(l, 2, "tweaked.json", "{\"schema\": 1, \"id\": \"tweaked\", \"args\": [\"-x\"]}");
    put(l, 1, "0-third.json",
        "{\"schema\": 1, \"id\": \"0-third\", \"match\": {\"exe\": [\"third\"]}}");
    g_autoptr(LoProfileStore) store = load(l);
    g_assert_cmpuint(store->problems->len, ==, 0);
    const char *mygame[] = {"mygame", NULL};
    LoMatch m = lo_profile_match(store, mygame, SHA_A);
    g_assert_cmpstr(m.id, ==, "mygame");
    g_assert_cmpuint(m.also->len, ==, 2);
    lo_match_clear(&m);
    const char *other[] = {"other", NULL};
    m = lo_profile_match(store, other, SHA_A);
    g_assert_cmpstr(m.id, ==, "1-community");
    lo_match_clear(&m);
    const char *third[] = {"third", NULL};
    m = lo_profile_match(store, third, SHA_A);
    g_assert_cmpstr(m.id, ==, "tweaked");
    lo_match_clear(&m);
}

/* The community layer read on demand through sync's match index: only the
 * profiles that can match are read, in their place between the built-in
 * and the user layer. */
static void test_community_on_demand(Layers *l, gconstpointer data)
{
    (void)data;
    put(l, 0, "game.json",
        "{\"schema\": 1, \"id\": \"game\", \"match\": {\"exe\": [\"game\"]}, \"args\": [\"-b\"]}");
    put(l, 1, "game.json", "{\"schema\": 1, \"id\": \"game\", \"args\": [\"-c\"]}");
    put(l, 1, "other.json",
        "{\"schema\": 1, \"id\": \"other\", \"match\": {\"exe\": [\"other\"], \"sha256\": [\"" SHA_A
        "\"]}}");
    put(l, 1, "broken.json", "{ not read");
    put(l, 2, "game.json", "{\"schema\": 1, \"id\": \"game\", \"env\": {\"vblank_mode\": \"0\"}}");
    g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func((GDestroyNotify)cJSON_Delete);
    g_ptr_array_add(docs, cJSON_Parse("{\"id\": \"game\"}"));
    g_ptr_array_add(docs, cJSON_Parse("{\"id\": \"other\", \"match\": {\"exe\": [\"other\"], "
                                      "\"sha256\": [\"" SHA_A "\"]}}"));
    g_autoptr(GBytes) index = lo_match_index_build(docs);
    gsize size = 0;
    const char *bytes = g_bytes_get_data(index, &size);
    g_autofree char *path = g_build_filename(l->dirs[1], LO_MATCH_INDEX_FILE, NULL);
    g_assert_true(g_file_set_contents(path, bytes, (gssize)size, NULL));

    g_autoptr(LoProfileStore) store =
        lo_profile_store_open_dirs(l->dirs[0], l->dirs[1], l->dirs[2]);
    const char *names[] = {"game", NULL};
    gboolean lists_sha256 = TRUE;
    g_assert_true(lo_profile_store_community_candidates(store, names, NULL, &lists_sha256));
    g_assert_false(lists_sha256);
    LoMatch m = lo_profile_match(store, names, NULL);
    g_assert_cmpstr(m.id, ==, "game");
    lo_match_clear(&m);
    g_assert_cmpuint(store->problems->len, ==, 0); /* broken.json was never read */
    g_autoptr(LoResolved) r = lo_profile_resolve(store, "game", NULL, NULL);
    g_assert_cmpuint(r->sources->len, ==, 3);
    expect_origin(r, "args", LO_LAYER_COMMUNITY);
    expect_origin(r, "env.vblank_mode", LO_LAYER_USER);
    const char *others[] = {"other", NULL};
    g_assert_true(lo_profile_store_community_candidates(store, others, NULL, &lists_sha256));
    g_assert_true(lists_sha256);
    m = lo_profile_match(store, (const char *[]){"renamed", NULL}, SHA_A);
    g_assert_cmpstr(m.id, ==, "other");
    lo_match_clear(&m);
    g_assert_cmpuint(store->problems->len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Layers, NULL, layers_setup, fn, layers_teardown)
    ADD("/layers/merge-and-origin", test_merge_and_origin);
    ADD("/layers/defaults-without-profile", test_defaults_without_profile);
    ADD("/layers/bad-files-are-skipped-and-reported", test_bad_files_are_skipped_and_reported);
    ADD("/layers/unknown-id-suggests", test_unknown_id_suggests);
    ADD("/layers/match-prefers-sha256", test_match_prefers_sha256);
    ADD("/layers/match-uses-merged-layers", test_match_uses_merged_layers);
    ADD("/layers/match-prefers-higher-layers", test_match_prefers_higher_layers);
    ADD("/layers/community-on-demand", test_community_on_demand);
    return g_test_run();
}
