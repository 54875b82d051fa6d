#include "json-util.h"

#include "errors.h"
#include "json-errors.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean lo_read_file_limited(const char *path, gsize max_bytes, char **contents, gsize *length,
                              GError **error)
{
    g_autofree char *shown = lo_printable(path, 300);
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait forever
     * for a writer (a FIFO named index.json, a profile, sysroot metadata).
     * Regular files ignore the flag. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, LO_ERROR, saved == ENOENT ? LO_EXIT_NOT_FOUND : LO_EXIT_FAILURE,
                    "cannot open %s: %s", shown, g_strerror(saved));
        return FALSE;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s is not a regular file", shown);
        return FALSE;
    }
    /* Read one byte past the limit so a file that grows meanwhile is caught too. */
    GString *buf = g_string_sized_new(MIN((gsize)st.st_size, max_bytes) + 1);
    char chunk[16384];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int saved = errno;
            close(fd);
            g_string_free(buf, TRUE);
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot read %s: %s", shown,
                        g_strerror(saved));
            return FALSE;
        }
        if (n == 0) {
            break;
        }
        g_string_append_len(buf, chunk, n);
        if (buf->len > max_bytes) {
            close(fd);
            g_string_free(buf, TRUE);
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "%s is larger than the limit of %" G_GSIZE_FORMAT " bytes", shown,
                        max_bytes);
            return FALSE;
        }
    }
    close(fd);
    if (length != NULL) {
        *length = buf->len;
    }
    *contents = g_string_free(buf, FALSE);
    return TRUE;
}

static guint line_of(const char *text, gsize offset)
{
    guint line = 1;
    for (gsize i = 0; i < offset; i++) {
        line += text[i] == '\n';
    }
    return line;
}

/* The 1-based column of offset, in characters (the text is valid UTF-8). */
static guint column_of(const char *text, gsize offset)
{
    gsize start = offset;
    while (start > 0 && text[start - 1] != '\n') {
        start--;
    }
    return (guint)g_utf8_strlen(text + start, offset - start) + 1;
}

/*
 * Finding a syntax error. cJSON says only roughly where it gave up (often a
 * character late), so when it refuses a document this small scanner walks
 * the grammar again to find the first character that cannot belong there,
 * and what was expected instead. It builds nothing; check_raw() has already
 * bounded the nesting depth, so its recursion is bounded too.
 */
typedef struct {
    const char *s;
    gsize n, i;
    const char *expected; /* set at the error */
} Scan;

static void skip_ws(Scan *sc)
{
    while (sc->i < sc->n && strchr(" \t\r\n", sc->s[sc->i]) != NULL && sc->s[sc->i] != '\0') {
        sc->i++;
    }
}

static gboolean fail_at(Scan *sc, const char *expected)
{
    sc->expected = expected;
    return FALSE;
}

static gboolean scan_string(Scan *sc)
{
    if (sc->i >= sc->n || sc->s[sc->i] != '"') {
        return fail_at(sc, "a string in double quotes");
    }
    for (sc->i++; sc->i < sc->n; sc->i++) {
        unsigned char c = sc->s[sc->i];
        if (c == '"') {
            sc->i++;
            return TRUE;
        }
        if (c < 0x20) {
            return fail_at(sc, "an escaped control character");
        }
        if (c == '\\') {
            sc->i++;
            if (sc->i >= sc->n || strchr("\"\\/bfnrtu", sc->s[sc->i]) == NULL ||
                sc->s[sc->i] == '\0') {
                return fail_at(sc,
                               "an escape: \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t or \\uXXXX");
            }
            if (sc->s[sc->i] == 'u') {
                for (int k = 0; k < 4; k++) {
                    sc->i++;
                    if (sc->i >= sc->n || !g_ascii_isxdigit(sc->s[sc->i])) {
                        return fail_at(sc, "four hex digits after \\u");
                    }
                }
            }
        }
    }
    return fail_at(sc, "the closing '\"' of the string");
}

static gboolean scan_digits(Scan *sc)
{
    gsize start = sc->i;
    while (sc->i < sc->n && g_ascii_isdigit(sc->s[sc->i])) {
        sc->i++;
    }
    return sc->i > start || fail_at(sc, "a digit");
}

static gboolean scan_number(Scan *sc)
{
    if (sc->s[sc->i] == '-') {
        sc->i++;
    }
    if (sc->i < sc->n && sc->s[sc->i] == '0') {
        sc->i++;
    } else if (!scan_digits(sc)) {
        return FALSE;
    }
    if (sc->i < sc->n && sc->s[sc->i] == '.') {
        sc->i++;
        if (!scan_digits(sc)) {
            return FALSE;
        }
    }
    if (sc->i < sc->n && (sc->s[sc->i] == 'e' || sc->s[sc->i] == 'E')) {
        sc->i++;
        if (sc->i < sc->n && (sc->s[sc->i] == '+' || sc->s[sc->i] == '-')) {
            sc->i++;
        }
        return scan_digits(sc);
    }
    return TRUE;
}

static gboolean scan_value(Scan *sc);

static gboolean scan_members(Scan *sc, gboolean object)
{
    char close = object ? '}' : ']';
    sc->i++;
    skip_ws(sc);
    if (sc->i < sc->n && sc->s[sc->i] == close) {
        sc->i++;
        return TRUE;
    }
    for (;;) {
        if (object) {
            if (sc->i >= sc->n || sc->s[sc->i] != '"') {
                return fail_at(sc, "a key in double quotes");
            }
            if (!scan_string(sc)) {
                return FALSE;
            }
            skip_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] != ':') {
                return fail_at(sc, "':' after the key");
            }
            sc->i++;
            skip_ws(sc);
        }
        if (!scan_value(sc)) {
            return FALSE;
        }
        skip_ws(sc);
        if (sc->i < sc->n && sc->s[sc->i] == close) {
            sc->i++;
            return TRUE;
        }
        if (sc->i >= sc->n || sc->s[sc->i] != ',') {
            return fail_at(sc, object ? "',' or '}'" : "',' or ']'");
        }
        sc->i++;
        skip_ws(sc);
    }
}

static gboolean scan_value(Scan *sc)
{
    if (sc->i >= sc->n) {
        return fail_at(sc, "a value");
    }
    char c = sc->s[sc->i];
    if (c == '{' || c == '[') {
        return scan_members(sc, c == '{');
    }
    if (c == '"') {
        return scan_string(sc);
    }
    if (c == '-' || g_ascii_isdigit(c)) {
        return scan_number(sc);
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int k = 0; k < 3; k++) {
        if (c == words[k][0]) {
            for (const char *w = words[k]; *w != '\0'; w++, sc->i++) {
                if (sc->i >= sc->n || sc->s[sc->i] != *w) {
                    return fail_at(sc, words[k]);
                }
            }
            return TRUE;
        }
    }
    return fail_at(sc, "a value (a string, number, object, list, true, false or null)");
}

/* The lexical checks cJSON does not make; see the header comment. */
static gboolean check_raw(const char *text, gsize length, GError **error)
{
    const char *bad_utf8;
    if (!g_utf8_validate_len(text, length, &bad_utf8)) {
        const char *what = memchr(text, '\0', length) != NULL ? "a NUL byte" : "invalid UTF-8";
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "line %u: %s", line_of(text, bad_utf8 - text),
                    what);
        return FALSE;
    }
    if (length >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "line 1: a byte order mark (save the file as UTF-8 without BOM)");
        return FALSE;
    }
    gboolean in_string = FALSE;
    int depth = 0;
    for (gsize i = 0; i < length; i++) {
        unsigned char c = text[i];
        if (in_string) {
            if (c < 0x20) {
                g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                            "line %u: raw control character 0x%02x inside a string (escape it)",
                            line_of(text, i), c);
                return FALSE;
            }
            if (c == '"') {
                in_string = FALSE;
            } else if (c == '\\' && i + 1 < length) {
                if (text[i + 1] == 'u' && i + 5 < length && strncmp(text + i + 2, "0000", 4) == 0) {
                    g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                                "line %u: \\u0000 (NUL) inside a string", line_of(text, i));
                    return FALSE;
                }
                i++; /* the escaped character cannot end the string */
            }
        } else if (c == '"') {
            in_string = TRUE;
        } else if (c == '{' || c == '[') {
            if (++depth > LO_JSON_MAX_DEPTH) {
                g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                            "line %u: nested deeper than %d levels", line_of(text, i),
                            LO_JSON_MAX_DEPTH);
                return FALSE;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return TRUE;
}

static gboolean check_duplicates(const cJSON *value, GString *path, GError **error)
{
    if (cJSON_IsObject(value)) {
        g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
        for (const cJSON *c = value->child; c != NULL; c = c->next) {
            if (!g_hash_table_add(seen, c->string)) {
                g_autofree char *shown = lo_printable(c->string, 80);
                g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s%s%s: key appears twice",
                            path->str, path->len ? "." : "", shown);
                return FALSE;
            }
            gsize saved = path->len;
            g_autofree char *shown = lo_printable(c->string, 80);
            g_string_append_printf(path, "%s%s", path->len ? "." : "", shown);
            gboolean ok = check_duplicates(c, path, error);
            g_string_truncate(path, saved);
            if (!ok) {
                return FALSE;
            }
        }
    } else if (cJSON_IsArray(value)) {
        int i = 0;
        for (const cJSON *c = value->child; c != NULL; c = c->next, i++) {
            gsize saved = path->len;
            g_string_append_printf(path, "[%d]", i);
            gboolean ok = check_duplicates(c, path, error);
            g_string_truncate(path, saved);
            if (!ok) {
                return FALSE;
            }
        }
    }
    return TRUE;
}

cJSON *lo_json_parse_strict(const char *text, gsize length, GError **error)
{
    if (!check_raw(text, length, error)) {
        return NULL;
    }
    /* The grammar first: cJSON also takes what Python's json refuses (01). */
    Scan sc = {text, length, 0, NULL};
    skip_ws(&sc);
    if (!scan_value(&sc)) {
        /* Described where cJSON stops when it refuses the text too (the
         * descriptions are made for its positions), else where the grammar
         * check did (cJSON takes a leading zero, "01"). */
        const char *end = NULL;
        cJSON *loose = cJSON_ParseWithLengthOpts(text, length, &end, FALSE);
        gsize at = loose == NULL && end != NULL && end >= text ? (gsize)(end - text) : sc.i;
        cJSON_Delete(loose);
        g_autofree char *why = lo_json_syntax_error(text, length, at);
        g_set_error_literal(error, LO_ERROR, LO_EXIT_INVALID, why);
        return NULL;
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(text, length, &end, FALSE);
    if (doc == NULL) {
        gsize at = end != NULL && end >= text ? (gsize)(end - text) : 0;
        g_autofree char *why = lo_json_syntax_error(text, length, at);
        g_set_error_literal(error, LO_ERROR, LO_EXIT_INVALID, why);
        return NULL;
    }
    for (; end < text + length; end++) {
        if (!g_ascii_isspace(*end)) {
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "line %u, column %u: unexpected text after the JSON document",
                        line_of(text, end - text), column_of(text, end - text));
            cJSON_Delete(doc);
            return NULL;
        }
    }
    g_autoptr(GString) path = g_string_new(NULL);
    if (!check_duplicates(doc, path, error)) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

static void write_string(GString *out, const char *s)
{
    g_string_append_c(out, '"');
    const char *end = s + strlen(s);
    for (const char *p = s; *p != '\0';) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            /* Not UTF-8 (a file name's bytes): written as the code point of
             * the byte, so the output stays JSON and holds no raw C1 byte. */
            g_string_append_printf(out, "\\u%04x", (unsigned char)*p);
            p++;
            continue;
        }
        p = g_utf8_next_char(p);
        switch (c) {
        case '"':
            g_string_append(out, "\\\"");
            break;
        case '\\':
            g_string_append(out, "\\\\");
            break;
        case '\n':
            g_string_append(out, "\\n");
            break;
        case '\t':
            g_string_append(out, "\\t");
            break;
        case '\r':
            g_string_append(out, "\\r");
            break;
        default:
            /* Control characters, DEL and C1 escaped: JSON printed to a
             * terminal must not carry escape sequences either. */
            if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
                g_string_append_printf(out, "\\u%04x", c);
            } else {
                g_string_append_unichar(out, c);
            }
        }
    }
    g_string_append_c(out, '"');
}

static void write_indent(GString *out, int indent)
{
    for (int i = 0; i < indent; i++) {
        g_string_append(out, "  ");
    }
}

/* The fewest digits (up to 17) that read back as the same double: a frame
 * rate rounded to 35.6 stays 35.6 in a profile, where "%.17g" would write
 * 35.600000000000001. Locale-independent (a '.' always). */
static void write_shortest_number(GString *out, double d)
{
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    for (int digits = 15; digits <= 17; digits++) {
        char format[8];
        g_snprintf(format, sizeof(format), "%%.%dg", digits);
        g_ascii_formatd(buf, sizeof(buf), format, d);
        if (g_ascii_strtod(buf, NULL) == d) {
            break;
        }
    }
    g_string_append(out, buf);
}

void lo_json_write(GString *out, const cJSON *value, int indent)
{
    if (cJSON_IsObject(value) || cJSON_IsArray(value)) {
        gboolean object = cJSON_IsObject(value);
        if (value->child == NULL) {
            g_string_append(out, object ? "{}" : "[]");
            return;
        }
        /* Arrays of scalars stay on one line: sha256 lists, args, exe names. */
        gboolean flat = !object;
        for (const cJSON *c = value->child; flat && c != NULL; c = c->next) {
            flat = !cJSON_IsObject(c) && !cJSON_IsArray(c);
        }
        g_string_append_c(out, object ? '{' : '[');
        for (const cJSON *c = value->child; c != NULL; c = c->next) {
            if (flat) {
                g_string_append(out, c == value->child ? "" : ", ");
            } else {
                g_string_append_c(out, '\n');
                write_indent(out, indent + 1);
            }
            if (object) {
                write_string(out, c->string);
                g_string_append(out, ": ");
            }
            lo_json_write(out, c, indent + 1);
            if (!flat && c->next != NULL) {
                g_string_append_c(out, ',');
            }
        }
        if (!flat) {
            g_string_append_c(out, '\n');
            write_indent(out, indent);
        }
        g_string_append_c(out, object ? '}' : ']');
    } else if (cJSON_IsString(value)) {
        write_string(out, value->valuestring);
    } else if (cJSON_IsNumber(value)) {
        double d = value->valuedouble;
        if (isfinite(d) && d == floor(d) && fabs(d) < 1e15) {
            g_string_append_printf(out, "%.0f", d);
        } else if (isfinite(d)) {
            write_shortest_number(out, d);
        } else {
            g_string_append(out, "null");
        }
    } else if (cJSON_IsBool(value)) {
        g_string_append(out, cJSON_IsTrue(value) ? "true" : "false");
    } else {
        g_string_append(out, "null");
    }
}

char *lo_json_to_string(const cJSON *value)
{
    GString *out = g_string_new(NULL);
    lo_json_write(out, value, 0);
    g_string_append_c(out, '\n');
    return g_string_free(out, FALSE);
}

const char *lo_json_string(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}
