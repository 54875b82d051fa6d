/* The community match index (match-index.c): what sync writes, a launch
 * finds; a damaged index says so instead of answering wrongly. */
#include "errors.h"
#include "match-index.h"
#include "testutil.h"
#include "util.h"

#include <string.h>

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static GBytes *build(const char *const *docs)
{
    g_autoptr(GPtrArray) profiles = g_ptr_array_new_with_free_func((GDestroyNotify)cJSON_Delete);
    for (const char *const *d = docs; *d != NULL; d++) {
        cJSON *doc = cJSON_Parse(*d);
        g_assert_nonnull(doc);
        g_ptr_array_add(profiles, doc);
    }
    return lo_match_index_build(profiles);
}

static char *joined(GPtrArray *ids)
{
    g_ptr_array_sort(ids, lo_compare_strings);
    g_ptr_array_add(ids, NULL);
    char *out = g_strjoinv(",", (char **)ids->pdata);
    g_ptr_array_remove_index(ids, ids->len - 1);
    return out;
}

static void test_lookups(void)
{
    const char *docs[] = {
        "{\"id\": \"a\", \"match\": {\"exe\": [\"game\", \"game.x86_64\"]}}",
        "{\"id\": \"b\", \"match\": {\"exe\": [\"game\"], \"sha256\": [\"" SHA_A "\"]}}",
        "{\"id\": \"c\", \"match\": {\"sha256\": [\"" SHA_A "\", \"" SHA_B "\"]}}",
        "{\"id\": \"d\"}",
        NULL,
    };
    g_autoptr(GBytes) bytes = build(docs);
    gsize size = 0;
    const char *data = g_bytes_get_data(bytes, &size);
    g_assert_true(g_str_has_prefix(data, "qemu-lorelei match index 1\n"));
    g_autoptr(GError) error = NULL;
    g_autoptr(LoMatchIndex) index = lo_match_index_new(data, size, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    gboolean sha = FALSE;
    g_assert_true(lo_match_index_exe(index, "game", ids, &sha));
    g_autofree char *game = joined(ids);
    g_assert_cmpstr(game, ==, "a,b");
    g_assert_true(sha);
    g_ptr_array_set_size(ids, 0);
    sha = FALSE;
    g_assert_true(lo_match_index_exe(index, "game.x86_64", ids, &sha));
    g_assert_cmpuint(ids->len, ==, 1);
    g_assert_false(sha);
    g_ptr_array_set_size(ids, 0);
    g_assert_true(lo_match_index_exe(index, "other", ids, &sha));
    g_assert_cmpuint(ids->len, ==, 0);
    g_assert_true(lo_match_index_sha256(index, SHA_A, ids));
    g_autofree char *by_sha = joined(ids);
    g_assert_cmpstr(by_sha, ==, "b,c");
    gboolean any = FALSE;
    g_assert_true(lo_match_index_sha256_only(index, &any));
    g_assert_true(any);
}

static void test_damage_is_noticed(void)
{
    const char *docs[] = {"{\"id\": \"a\", \"match\": {\"exe\": [\"game\"]}}", NULL};
    g_autoptr(GBytes) bytes = build(docs);
    gsize size = 0;
    const void *bytes_data = g_bytes_get_data(bytes, &size);
    g_autofree char *data = g_memdup2(bytes_data, size);
    g_autoptr(GError) error = NULL;
    /* Not a whole number of records, or another header: not an index. */
    g_assert_null(lo_match_index_new(data, size - 1, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    g_clear_error(&error);
    data[0] = 'Q';
    g_assert_null(lo_match_index_new(data, size, &error));
    g_clear_error(&error);
    data[0] = 'q';
    /* An id that is no id: the lookup fails rather than answer. */
    char *id = strstr(data + 27, " a ");
    g_assert_nonnull(id);
    id[1] = '/';
    g_autoptr(LoMatchIndex) index = lo_match_index_new(data, size, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    gboolean sha = FALSE;
    g_assert_false(lo_match_index_exe(index, "game", ids, &sha));
}

static void test_open_from_folder(void)
{
    char *dir = test_tmpdir();
    g_autoptr(GError) error = NULL;
    g_assert_null(lo_match_index_open(dir, &error));
    g_assert_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
    g_clear_error(&error);
    const char *docs[] = {"{\"id\": \"x\", \"match\": {\"exe\": [\"x\"]}}", NULL};
    g_autoptr(GBytes) bytes = build(docs);
    g_autofree char *path = g_build_filename(dir, LO_MATCH_INDEX_FILE, NULL);
    gsize size = 0;
    const char *data = g_bytes_get_data(bytes, &size);
    g_assert_true(g_file_set_contents(path, data, (gssize)size, NULL));
    LoMatchIndex *index = lo_match_index_open(dir, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
    gboolean sha = FALSE;
    g_assert_true(lo_match_index_exe(index, "x", ids, &sha));
    g_assert_cmpuint(ids->len, ==, 1);
    lo_match_index_free(index);
    test_tmpdir_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/match-index/lookups", test_lookups);
    g_test_add_func("/match-index/damage-is-noticed", test_damage_is_noticed);
    g_test_add_func("/match-index/open-from-folder", test_open_from_folder);
    return g_test_run();
}
