#include "deb822.h"

#include "errors.h"
#include "util.h"

#include <string.h>

const char *lo_deb822_get(const LoDeb822Stanza *s, const char *name)
{
    for (guint i = 0; s != NULL && i < s->fields->len; i++) {
        const LoDeb822Field *f = &g_array_index(s->fields, LoDeb822Field, i);
        if (g_ascii_strcasecmp(f->name, name) == 0) {
            return f->value;
        }
    }
    return NULL;
}

static void clear_field(gpointer p)
{
    LoDeb822Field *f = p;
    g_free(f->name);
    g_free(f->value);
}

static LoDeb822Stanza *stanza_new(void)
{
    LoDeb822Stanza *s = g_new0(LoDeb822Stanza, 1);
    s->fields = g_array_new(FALSE, FALSE, sizeof(LoDeb822Field));
    g_array_set_clear_func(s->fields, clear_field);
    return s;
}

void lo_deb822_stanza_free(LoDeb822Stanza *s)
{
    if (s == NULL) {
        return;
    }
    g_array_unref(s->fields);
    g_free(s);
}

static gboolean fail(GError **error, const char *what, guint line, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean fail(GError **error, const char *what, guint line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *where = lo_printable(what, 200);
    if (line > 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s, line %u: %s", where, line, why);
    } else {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s: %s", where, why);
    }
    return FALSE;
}

static gboolean is_blank(const char *p, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        if (p[i] != ' ' && p[i] != '\t') {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean valid_name(const char *p, gsize n)
{
    if (n == 0 || n > LO_DEB822_NAME_MAX || p[0] == '#' || p[0] == '-') {
        return FALSE;
    }
    for (gsize i = 0; i < n; i++) {
        if (p[i] <= ' ' || p[i] > '~' || p[i] == ':') {
            return FALSE;
        }
    }
    return TRUE;
}

/* Strips spaces and tabs at both ends of [*p, *p + *n). */
static void trim(const char **p, gsize *n)
{
    while (*n > 0 && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n > 0 && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t')) {
        (*n)--;
    }
}

typedef struct {
    const LoDeb822Limits *limits;
    const char *what;
    LoDeb822Fn fn;
    gpointer data;
    LoDeb822Stanza *current;
    GString *value; /* of the field being read */
    guint stanzas;
} Parser;

/* Stores the value being read into the last field of the stanza. */
static void close_field(Parser *ps)
{
    if (ps->current->fields->len > 0) {
        LoDeb822Field *f =
            &g_array_index(ps->current->fields, LoDeb822Field, ps->current->fields->len - 1);
        if (f->value == NULL) {
            f->value = g_strndup(ps->value->str, ps->value->len);
        }
    }
    g_string_truncate(ps->value, 0);
}

static gboolean close_stanza(Parser *ps, GError **error)
{
    if (ps->current->fields->len == 0) {
        return TRUE;
    }
    close_field(ps);
    gboolean ok = ps->fn(ps->current, ps->data, error);
    g_array_set_size(ps->current->fields, 0);
    return ok;
}

static gboolean add_line(Parser *ps, const char *p, gsize n, guint line, GError **error)
{
    LoDeb822Stanza *s = ps->current;
    if (p[0] == ' ' || p[0] == '\t') {
        if (s->fields->len == 0) {
            return fail(error, ps->what, line, "a continuation line without a field before it");
        }
        trim(&p, &n);
        if (n == 1 && p[0] == '.') {
            n = 0; /* " ." stands for an empty line */
        }
        if (ps->value->len + 1 + n > ps->limits->max_value) {
            return fail(error, ps->what, line, "a field longer than %" G_GSIZE_FORMAT " bytes",
                        ps->limits->max_value);
        }
        g_string_append_c(ps->value, '\n');
        g_string_append_len(ps->value, p, n);
        return TRUE;
    }
    const char *colon = memchr(p, ':', n);
    if (colon == NULL) {
        g_autofree char *shown = g_strndup(p, MIN(n, 60));
        g_autofree char *printable = lo_printable(shown, 60);
        return fail(error, ps->what, line, "'%s' is not a 'Field: value' line", printable);
    }
    gsize name_len = colon - p;
    if (!valid_name(p, name_len)) {
        g_autofree char *shown = g_strndup(p, MIN(name_len, 60));
        g_autofree char *printable = lo_printable(shown, 60);
        return fail(error, ps->what, line, "'%s' is not a valid field name", printable);
    }
    close_field(ps);
    if (s->fields->len == 0) {
        s->line = line;
        if (++ps->stanzas > ps->limits->max_stanzas) {
            return fail(error, ps->what, line, "more than %u stanzas", ps->limits->max_stanzas);
        }
    }
    if (s->fields->len >= ps->limits->max_fields) {
        return fail(error, ps->what, line, "a stanza with more than %u fields",
                    ps->limits->max_fields);
    }
    g_autofree char *name = g_strndup(p, name_len);
    if (lo_deb822_get(s, name) != NULL) {
        return fail(error, ps->what, line, "field '%s' appears twice in one stanza", name);
    }
    const char *v = colon + 1;
    gsize vn = n - name_len - 1;
    trim(&v, &vn);
    if (vn > ps->limits->max_value) {
        return fail(error, ps->what, line, "a field longer than %" G_GSIZE_FORMAT " bytes",
                    ps->limits->max_value);
    }
    g_string_append_len(ps->value, v, vn);
    LoDeb822Field f = {g_steal_pointer(&name), NULL};
    g_array_append_val(s->fields, f);
    return TRUE;
}

gboolean lo_deb822_parse(const char *text, gsize len, const LoDeb822Limits *limits,
                         const char *what, LoDeb822Fn fn, gpointer data, GError **error)
{
    if (len > limits->max_input) {
        return fail(error, what, 0, "larger than %" G_GSIZE_FORMAT " bytes, the limit",
                    limits->max_input);
    }
    if (memchr(text, '\0', len) != NULL) {
        return fail(error, what, 0, "holds a NUL byte: not a text file");
    }
    Parser ps = {limits, what, fn, data, stanza_new(), g_string_new(NULL), 0};
    gboolean ok = TRUE;
    guint line = 0;
    const char *end = text + len;
    for (const char *p = text; ok && p < end;) {
        const char *nl = memchr(p, '\n', end - p);
        gsize n = (nl != NULL ? nl : end) - p;
        const char *next = nl != NULL ? nl + 1 : end;
        line++;
        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        if (is_blank(p, n)) {
            ok = close_stanza(&ps, error);
        } else if (limits->comments && p[0] == '#') {
            /* a comment: skipped, even inside a stanza */
        } else {
            ok = add_line(&ps, p, n, line, error);
        }
        p = next;
    }
    if (ok) {
        ok = close_stanza(&ps, error);
    }
    lo_deb822_stanza_free(ps.current);
    g_string_free(ps.value, TRUE);
    return ok;
}

static gboolean collect(const LoDeb822Stanza *s, gpointer data, GError **error)
{
    (void)error;
    LoDeb822Stanza *copy = stanza_new();
    copy->line = s->line;
    for (guint i = 0; i < s->fields->len; i++) {
        const LoDeb822Field *f = &g_array_index(s->fields, LoDeb822Field, i);
        LoDeb822Field c = {g_strdup(f->name), g_strdup(f->value)};
        g_array_append_val(copy->fields, c);
    }
    g_ptr_array_add(data, copy);
    return TRUE;
}

GPtrArray *lo_deb822_parse_all(const char *text, gsize len, const LoDeb822Limits *limits,
                               const char *what, GError **error)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)lo_deb822_stanza_free);
    if (!lo_deb822_parse(text, len, limits, what, collect, out, error)) {
        g_ptr_array_unref(out);
        return NULL;
    }
    return out;
}
