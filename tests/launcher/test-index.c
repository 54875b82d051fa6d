/* The community index (index.c): parsing what a repository serves, and
 * generating it from a folder of profiles. */
#include "errors.h"
#include "index.h"
#include "testutil.h"
#include "util.h"

#include <string.h>

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_bad(const char *text, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) entries = lo_index_parse(text, strlen(text), &error);
    g_assert_null(entries);
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    if (strstr(error->message, needle) == NULL) {
        g_error("message '%s' lacks '%s'", error->message, needle);
    }
}

static void test_parse_good(void)
{
    const char *text =
        "{\"schema\": 1, \"profiles\": ["
        "{\"id\": \"a\", \"path\": \"a.json\", \"sha256\": \"" SHA "\", \"size\": 10},"
        "{\"id\": \"b.c\", \"path\": \"b.c.json\", \"sha256\": \"" SHA "\", \"size\": 65536}]}";
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) entries = lo_index_parse(text, strlen(text), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(entries->len, ==, 2);
    LoIndexEntry *e = entries->pdata[1];
    g_assert_cmpstr(e->id, ==, "b.c");
    g_assert_cmpstr(e->path, ==, "b.c.json");
    g_assert_cmpuint(e->size, ==, 65536);
    g_autoptr(GPtrArray) empty = lo_index_parse(
        "{\"schema\": 1, \"profiles\": []}", strlen("{\"schema\": 1, \"profiles\": []}"), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(empty->len, ==, 0);
}

static void test_parse_bad(void)
{
    expect_bad("[]", "must be a JSON object");
    expect_bad("{\"schema\": 2, \"profiles\": []}", "'schema' must be 1");
    expect_bad("{\"schema\": 1}", "'profiles' is missing");
    expect_bad("{\"schema\": 1, \"profiles\": [], \"extra\": 1}", "unknown key 'extra'");
    expect_bad("{\"schema\": 1, \"profiles\": {}}", "'profiles' must be a list");
    expect_bad("{\"schema\": 1, \"profiles\": [\"a.json\"]}", "profiles[0]: must be an object");
    expect_bad("{\"schema\": 1, \"profiles\": [{\"id\": \"a\", \"path\": \"../../etc/passwd\", "
               "\"sha256\": \"" SHA "\", \"size\": 1}]}",
               "profiles[0]: 'path' must be \"a.json\"");
    expect_bad("{\"schema\": 1, \"profiles\": [{\"id\": \"../a\", \"path\": \"../a.json\", "
               "\"sha256\": \"" SHA "\", \"size\": 1}]}",
               "'id' is not a valid profile id");
    expect_bad("{\"schema\": 1, \"profiles\": [{\"id\": \"a\", \"path\": \"a.json\", \"sha256\": "
               "\"x\", \"size\": 1}]}",
               "'sha256' must be 64 lowercase hex digits");
    expect_bad(
        "{\"schema\": 1, \"profiles\": [{\"id\": \"a\", \"path\": \"a.json\", \"sha256\": \"" SHA
        "\", \"size\": 65537}]}",
        "'size' must be a whole number from 1 to 65536");
    expect_bad(
        "{\"schema\": 1, \"profiles\": [{\"id\": \"a\", \"path\": \"a.json\", \"sha256\": \"" SHA
        "\", \"size\": 1.5}]}",
        "'size' must be a whole number");
    expect_bad(
        "{\"schema\": 1, \"profiles\": [{\"id\": \"a\", \"path\": \"a.json\", \"sha256\": \"" SHA
        "\"}]}",
        "profiles[0]: 'size' is missing");
    expect_bad("{\"schema\": 1, \"profiles\": ["
               "{\"id\": \"a\", \"path\": \"a.json\", \"sha256\": \"" SHA "\", \"size\": 1},"
               "{\"id\": \"a\", \"path\": \"a.json\", \"sha256\": \"" SHA "\", \"size\": 1}]}",
               "profiles[1]: profile 'a' is listed twice");
    expect_bad("{\"schema\": 1, \"profiles\": [], \"profiles\": []}", "key appears twice");
    GString *huge = g_string_new("{\"schema\": 1, \"profiles\": [");
    while (huge->len <= LO_INDEX_MAX_BYTES) {
        g_string_append(huge, "                                                  ");
    }
    g_string_append(huge, "]}");
    expect_bad(huge->str, "the limit is 1048576");
    g_string_free(huge, TRUE);
}

static void test_generate(void)
{
    char *dir = test_tmpdir();
    const char *b = "{\"schema\": 1, \"id\": \"b\"}\n";
    g_free(test_write(dir, "b.json", b));
    g_free(test_write(dir, "a.json", "{\"schema\": 1, \"id\": \"a\", \"status\": \"runs\"}\n"));
    g_free(test_write(dir, "schema.json", "{\"not\": \"a profile\"}"));
    g_free(test_write(dir, "index.json", "stale"));
    g_free(test_write(dir, "README", "ignored"));
    g_autoptr(GError) error = NULL;
    g_autofree char *text = lo_index_generate(dir, &error);
    g_assert_no_error(error);
    g_autoptr(GPtrArray) entries = lo_index_parse(text, strlen(text), &error);
    g_assert_no_error(error);
    g_assert_cmpuint(entries->len, ==, 2);
    LoIndexEntry *e = entries->pdata[1];
    g_assert_cmpstr(e->id, ==, "b");
    g_autofree char *sha = lo_sha256_data(b, strlen(b));
    g_assert_cmpstr(e->sha256, ==, sha);
    g_assert_cmpuint(e->size, ==, strlen(b));
    /* Generating again gives the same bytes: the index is stable. */
    g_autofree char *again = lo_index_generate(dir, &error);
    g_assert_cmpstr(text, ==, again);

    g_free(test_write(dir, "c.json", "{\"schema\": 1, \"id\": \"not-c\"}"));
    g_assert_null(lo_index_generate(dir, &error));
    g_assert_nonnull(
        strstr(error->message, "holds profile 'not-c', so it must be named not-c.json"));
    g_clear_error(&error);
    g_free(test_write(dir, "c.json",
                      "{\"schema\": 1, \"id\": \"c\", \"env\": {\"LD_PRELOAD\": \"x\"}}"));
    g_assert_null(lo_index_generate(dir, &error));
    g_assert_nonnull(strstr(error->message, "c.json is not a valid profile"));
    g_assert_nonnull(strstr(error->message, "env.LD_PRELOAD"));
    test_tmpdir_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/index/parse-good", test_parse_good);
    g_test_add_func("/index/parse-bad", test_parse_bad);
    g_test_add_func("/index/generate", test_generate);
    return g_test_run();
}
