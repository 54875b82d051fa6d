#include "json-errors.h"

#include <string.h>

void lo_json_position(const char *text, gsize length, gsize offset, guint *line, guint *column)
{
    offset = MIN(offset, length);
    *line = 1;
    gsize line_start = 0;
    for (gsize i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            (*line)++;
            line_start = i + 1;
        }
    }
    /* Characters, not bytes: count the UTF-8 lead bytes. */
    *column = 1;
    for (gsize i = line_start; i < offset; i++) {
        *column += ((unsigned char)text[i] & 0xc0) != 0x80;
    }
}

/* Whether a string is left open, and the bracket depth at the end. */
static void scan(const char *text, gsize length, gboolean *open_string, int *depth)
{
    gboolean in_string = FALSE;
    *depth = 0;
    for (gsize i = 0; i < length; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            } else if (c == '"' || c == '\n') {
                in_string = FALSE; /* a newline cannot be in a string: it ended there */
            }
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '{' || c == '[') {
            (*depth)++;
        } else if (c == '}' || c == ']') {
            (*depth)--;
        }
    }
    *open_string = in_string;
}

static gsize prev_nonspace(const char *text, gsize offset)
{
    while (offset > 0 && g_ascii_isspace(text[offset - 1])) {
        offset--;
    }
    return offset; /* index after the character, 0 for none */
}

static const char *hint(const char *text, gsize length, gsize *offset)
{
    gboolean open_string = FALSE;
    int depth = 0;
    scan(text, length, &open_string, &depth);
    gsize at = *offset;
    /* cJSON may stop after the culprit, on the space behind it. */
    if ((at >= length || g_ascii_isspace(text[at])) && prev_nonspace(text, at) > 0) {
        at = prev_nonspace(text, at) - 1;
    }
    /* cJSON stops inside a bare word: point at its start. */
    while (at > 0 && at <= length && g_ascii_isalpha(text[at - 1])) {
        at--;
    }
    char c = at < length ? text[at] : '\0';
    gsize p = prev_nonspace(text, at);
    char prev = p > 0 ? text[p - 1] : '\0';
    char raw_prev = at > 0 ? text[at - 1] : '\0';
    if (open_string) {
        return "a string is not closed: a '\"' is missing (a string cannot span lines)";
    }
    if (c == '/' || raw_prev == '/' || c == '#') {
        *offset = raw_prev == '/' ? at - 1 : at;
        return "JSON has no comments: put notes in a \"$comment\" key";
    }
    if (c == '\'' || raw_prev == '\'') {
        *offset = c == '\'' ? at : at - 1;
        return "strings and keys take double quotes (\"), not single ones";
    }
    if (prev == ',' && (c == '}' || c == ']')) {
        *offset = p - 1;
        return "a trailing comma: remove the ',' before the closing bracket";
    }
    if (prev == ':' && (c == '}' || c == ',' || c == ']' || c == '\0')) {
        return "a value is missing after ':'";
    }
    if ((c == '"' || c == '{' || c == '[' || g_ascii_isdigit(c) || c == '-') &&
        (prev == '"' || prev == '}' || prev == ']' || g_ascii_isdigit(prev) || prev == 'e' ||
         prev == 'l')) {
        return "a comma is missing between the value before and this one";
    }
    if (g_ascii_isalpha(c)) {
        *offset = at;
        return prev == '{' || prev == ','
                   ? "keys take double quotes: \"key\": value"
                   : "unquoted text: strings take double quotes; true, false and null are "
                     "lowercase";
    }
    if (depth > 0) {
        *offset = length;
        return "the text ends early: a closing '}' or ']' is missing";
    }
    if (c == '\0') {
        return "the text ends early";
    }
    return NULL;
}

char *lo_json_syntax_error(const char *text, gsize length, gsize offset)
{
    offset = MIN(offset, length);
    const char *why = hint(text, length, &offset);
    guint line = 0, column = 0;
    lo_json_position(text, length, offset, &line, &column);
    if (why != NULL) {
        return g_strdup_printf("line %u, column %u: not valid JSON: %s", line, column, why);
    }
    char c = offset < length ? text[offset] : ' ';
    if (g_ascii_isprint(c) && c != ' ') {
        return g_strdup_printf("line %u, column %u: not valid JSON: unexpected '%c'", line, column,
                               c);
    }
    return g_strdup_printf("line %u, column %u: not valid JSON", line, column);
}
