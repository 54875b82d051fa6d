/* Strict JSON reading (json-util.c): what cJSON alone would let through. */
#include "errors.h"
#include "json-util.h"

#include <string.h>

static void expect_invalid(const char *text, gsize len, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(cJSON) doc = lo_json_parse_strict(text, len, &error);
    g_assert_null(doc);
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    if (strstr(error->message, needle) == NULL) {
        g_error("message '%s' lacks '%s'", error->message, needle);
    }
}

static void expect_valid(const char *text)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(cJSON) doc = lo_json_parse_strict(text, strlen(text), &error);
    g_assert_no_error(error);
    g_assert_nonnull(doc);
}

static void test_accepts_plain_documents(void)
{
    expect_valid("{}");
    expect_valid("  {\"a\": [1, 2, {\"b\": \"\\u00e9\\n\"}]}\n\n");
    expect_valid("{\"a\": \"\\\\u0000 is just text after an escaped backslash\"}");
}

static void test_refuses_duplicate_keys(void)
{
    expect_invalid("{\"a\": 1, \"a\": 2}", 16, "a: key appears twice");
    const char *nested = "{\"env\": {\"X\": \"1\", \"X\": \"2\"}}";
    expect_invalid(nested, strlen(nested), "env.X: key appears twice");
}

static void test_refuses_nul_and_controls(void)
{
    const char *escaped_nul = "{\"id\": \"a\\u0000b\"}";
    expect_invalid(escaped_nul, strlen(escaped_nul), "\\u0000");
    expect_invalid("{\"id\": \"a\0b\"}", 13, "NUL byte");
    const char *raw_newline = "{\"id\": \"a\nb\"}";
    expect_invalid(raw_newline, strlen(raw_newline), "raw control character 0x0a");
}

static void test_refuses_invalid_utf8(void)
{
    const char *bad = "{\"name\": \"\xff\xfe\"}";
    expect_invalid(bad, strlen(bad), "invalid UTF-8");
}

static void test_refuses_trailing_text_and_depth(void)
{
    expect_invalid("\xef\xbb\xbf{}", 5, "byte order mark");
    expect_invalid("{} {}", 5, "unexpected text after the JSON document");
    expect_invalid("{\"a\": ", 6, "not valid JSON");
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < LO_JSON_MAX_DEPTH + 1; i++) {
        g_string_append_c(deep, '[');
    }
    for (int i = 0; i < LO_JSON_MAX_DEPTH + 1; i++) {
        g_string_append_c(deep, ']');
    }
    expect_invalid(deep->str, deep->len, "nested deeper than");
    g_string_free(deep, TRUE);
}

static void test_writer_round_trips(void)
{
    const char *text = "{\"schema\": 1, \"s\": \"tab\\t \\\"q\\\" \\\\ \\u001b\", \"l\": [1, 2], "
                       "\"o\": {\"x\": [{\"y\": true}], \"e\": {}, \"n\": null, \"f\": 1.5}}";
    g_autoptr(GError) error = NULL;
    g_autoptr(cJSON) doc = lo_json_parse_strict(text, strlen(text), &error);
    g_assert_no_error(error);
    g_autofree char *out = lo_json_to_string(doc);
    g_assert_true(g_str_has_suffix(out, "}\n"));
    g_assert_nonnull(strstr(out, "\"l\": [1, 2]"));
    g_assert_nonnull(strstr(out, "\\u001b"));
    g_autoptr(cJSON) again = lo_json_parse_strict(out, strlen(out), &error);
    g_assert_no_error(error);
    g_assert_true(cJSON_Compare(doc, again, TRUE));
}

/* A frame rate rounded to 0.1 (profile report's 35.6) is written as a person
 * wrote it, not as the 17 digits that name the same double
 * (35.600000000000001); a value that needs all 17 still round-trips. */
static void test_writer_numbers_are_shortest(void)
{
    g_autoptr(cJSON) doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "fps", 35.6);
    cJSON_AddNumberToObject(doc, "native_fps", 45.7);
    cJSON_AddNumberToObject(doc, "third", 1.0 / 3.0);
    cJSON_AddNumberToObject(doc, "small", 1e-300);
    g_autofree char *out = lo_json_to_string(doc);
    g_assert_nonnull(strstr(out, "\"fps\": 35.6,"));
    g_assert_nonnull(strstr(out, "\"native_fps\": 45.7,"));
    g_autoptr(GError) error = NULL;
    g_autoptr(cJSON) again = lo_json_parse_strict(out, strlen(out), &error);
    g_assert_no_error(error);
    g_assert_true(cJSON_GetObjectItem(again, "third")->valuedouble == 1.0 / 3.0);
    g_assert_true(cJSON_GetObjectItem(again, "small")->valuedouble == 1e-300);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json/accepts-plain-documents", test_accepts_plain_documents);
    g_test_add_func("/json/refuses-duplicate-keys", test_refuses_duplicate_keys);
    g_test_add_func("/json/refuses-nul-and-controls", test_refuses_nul_and_controls);
    g_test_add_func("/json/refuses-invalid-utf8", test_refuses_invalid_utf8);
    g_test_add_func("/json/refuses-trailing-text-and-depth", test_refuses_trailing_text_and_depth);
    g_test_add_func("/json/writer-round-trips", test_writer_round_trips);
    g_test_add_func("/json/writer-numbers-are-shortest", test_writer_numbers_are_shortest);
    return g_test_run();
}
