/* Where and why a JSON text is not valid (json-errors.c), through the
 * strict reader every profile goes through. */
#include "errors.h"
#include "json-errors.h"
#include "json-util.h"

#include <string.h>

static void expect(const char *text, const char *message)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(cJSON) doc = lo_json_parse_strict(text, strlen(text), &error);
    g_assert_null(doc);
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    g_assert_cmpstr(error->message, ==, message);
}

static void test_hints(void)
{
    expect("{\"a\": 1,}", "line 1, column 8: not valid JSON: a trailing comma: remove the ',' "
                          "before the closing bracket");
    expect("{\n  \"a\": [1, 2,\n  ]\n}",
           "line 2, column 13: not valid JSON: a trailing comma: remove the ',' before the "
           "closing bracket");
    expect("{\"a\": 1\n \"b\": 2}", "line 2, column 2: not valid JSON: a comma is missing "
                                    "between the value before and this one");
    expect("{'a': 1}", "line 1, column 2: not valid JSON: strings and keys take double quotes "
                       "(\"), not single ones");
    expect("{\"a\": 1, // note\n}",
           "line 1, column 10: not valid JSON: JSON has no comments: put notes in a "
           "\"$comment\" key");
    expect("{a: 1}", "line 1, column 2: not valid JSON: keys take double quotes: \"key\": value");
    expect("{\"a\": tru}", "line 1, column 7: not valid JSON: unquoted text: strings take double "
                           "quotes; true, false and null are lowercase");
    expect("{\"a\": }", "line 1, column 7: not valid JSON: a value is missing after ':'");
    expect("{\"a\": \"x}", "line 1, column 8: not valid JSON: a string is not closed: a '\"' is "
                           "missing (a string cannot span lines)");
    expect("{\"a\": {\"b\": 1}\n", "line 2, column 1: not valid JSON: the text ends early: a "
                                   "closing '}' or ']' is missing");
    /* Columns count characters, not bytes. */
    expect("{\"é\": 1,}", "line 1, column 8: not valid JSON: a trailing comma: remove the ',' "
                          "before the closing bracket");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json-errors/hints", test_hints);
    return g_test_run();
}
