#include "deb-relation.h"

#include <string.h>

gboolean lo_deb_name_valid(const char *name)
{
    gsize n = strlen(name);
    if (n < 2 || n > LO_DEB_NAME_MAX || !(g_ascii_islower(name[0]) || g_ascii_isdigit(name[0]))) {
        return FALSE;
    }
    for (const char *p = name; *p != '\0'; p++) {
        if (!g_ascii_islower(*p) && !g_ascii_isdigit(*p) && strchr("+.-", *p) == NULL) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean all_of(const char *p, gsize n, const char *extra)
{
    for (gsize i = 0; i < n; i++) {
        if (!g_ascii_isalnum(p[i]) && strchr(extra, p[i]) == NULL) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean lo_deb_version_valid(const char *version)
{
    gsize n = strlen(version);
    if (n == 0 || n > LO_DEB_VERSION_MAX) {
        return FALSE;
    }
    const char *upstream = version;
    const char *colon = strchr(version, ':');
    if (colon != NULL) {
        gsize epoch_len = colon - version;
        if (epoch_len == 0 || epoch_len > 9 || !all_of(version, epoch_len, "") ||
            strspn(version, "0123456789") != epoch_len) {
            return FALSE;
        }
        upstream = colon + 1;
    }
    const char *dash = strrchr(upstream, '-');
    gsize up_len = dash != NULL ? (gsize)(dash - upstream) : strlen(upstream);
    if (up_len == 0 || !g_ascii_isalnum(upstream[0])) {
        return FALSE;
    }
    if (!all_of(upstream, up_len, dash != NULL ? ".+~-:" : ".+~:")) {
        return FALSE;
    }
    if (colon == NULL && memchr(upstream, ':', up_len) != NULL) {
        return FALSE;
    }
    if (dash != NULL) {
        const char *rev = dash + 1;
        if (rev[0] == '\0' || !all_of(rev, strlen(rev), ".+~")) {
            return FALSE;
        }
    }
    return TRUE;
}

/* dpkg's character order: '~' before everything (even the end), then the
 * end and digits, then letters, then everything else. */
static int order(char c)
{
    if (g_ascii_isdigit(c) || c == '\0') {
        return 0;
    }
    if (g_ascii_isalpha(c)) {
        return c;
    }
    if (c == '~') {
        return -1;
    }
    return (unsigned char)c + 256;
}

static int verrevcmp(const char *a, const char *b)
{
    while (*a != '\0' || *b != '\0') {
        int first_diff = 0;
        while ((*a != '\0' && !g_ascii_isdigit(*a)) || (*b != '\0' && !g_ascii_isdigit(*b))) {
            int ac = order(*a), bc = order(*b);
            if (ac != bc) {
                return ac - bc;
            }
            a++;
            b++;
        }
        while (*a == '0') {
            a++;
        }
        while (*b == '0') {
            b++;
        }
        while (g_ascii_isdigit(*a) && g_ascii_isdigit(*b)) {
            if (first_diff == 0) {
                first_diff = *a - *b;
            }
            a++;
            b++;
        }
        if (g_ascii_isdigit(*a)) {
            return 1;
        }
        if (g_ascii_isdigit(*b)) {
            return -1;
        }
        if (first_diff != 0) {
            return first_diff;
        }
    }
    return 0;
}

typedef struct {
    guint64 epoch;
    char *upstream;
    const char *revision;
    char *copy;
} Split;

static void split(const char *v, Split *s)
{
    s->copy = g_strdup(v);
    char *colon = strchr(s->copy, ':');
    char *rest = s->copy;
    s->epoch = 0;
    if (colon != NULL) {
        *colon = '\0';
        s->epoch = g_ascii_strtoull(s->copy, NULL, 10);
        rest = colon + 1;
    }
    char *dash = strrchr(rest, '-');
    s->revision = "";
    if (dash != NULL) {
        *dash = '\0';
        s->revision = dash + 1;
    }
    s->upstream = rest;
}

int lo_deb_version_compare(const char *a, const char *b)
{
    Split x, y;
    split(a, &x);
    split(b, &y);
    int r;
    if (x.epoch != y.epoch) {
        r = x.epoch < y.epoch ? -1 : 1;
    } else {
        r = verrevcmp(x.upstream, y.upstream);
        if (r == 0) {
            r = verrevcmp(x.revision, y.revision);
        }
    }
    g_free(x.copy);
    g_free(y.copy);
    return r < 0 ? -1 : r > 0 ? 1 : 0;
}

gboolean lo_deb_version_satisfies(const char *version, LoDebOp op, const char *wanted)
{
    if (op == LO_DEB_ANY) {
        return TRUE;
    }
    if (version == NULL) {
        return FALSE;
    }
    int c = lo_deb_version_compare(version, wanted);
    switch (op) {
    case LO_DEB_LT:
        return c < 0;
    case LO_DEB_LE:
        return c <= 0;
    case LO_DEB_EQ:
        return c == 0;
    case LO_DEB_GE:
        return c >= 0;
    case LO_DEB_GT:
        return c > 0;
    default:
        return TRUE;
    }
}

const char *lo_deb_op_string(LoDebOp op)
{
    static const char *const names[] = {"", "<<", "<=", "=", ">=", ">>"};
    return op <= LO_DEB_GT ? names[op] : "?";
}

static void atom_free(gpointer p)
{
    LoDebAtom *a = p;
    g_free(a->name);
    g_free(a->arch);
    g_free(a->version);
    g_free(a);
}

char *lo_deb_atom_to_string(const LoDebAtom *a)
{
    GString *s = g_string_new(a->name);
    if (a->arch != NULL) {
        g_string_append_printf(s, ":%s", a->arch);
    }
    if (a->op != LO_DEB_ANY) {
        g_string_append_printf(s, " (%s %s)", lo_deb_op_string(a->op), a->version);
    }
    return g_string_free(s, FALSE);
}

static void skip_space(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r') {
        (*p)++;
    }
}

/* A run of characters allowed in names, arch qualifiers and versions. */
static char *take_word(const char **p, const char *extra, gsize max)
{
    const char *start = *p;
    while (**p != '\0' && (g_ascii_isalnum(**p) || strchr(extra, **p) != NULL)) {
        (*p)++;
    }
    gsize n = *p - start;
    return n > 0 && n <= max ? g_strndup(start, n) : NULL;
}

static LoDebOp parse_op(const char **p)
{
    static const struct {
        const char *text;
        LoDebOp op;
    } ops[] = {{"<<", LO_DEB_LT}, {"<=", LO_DEB_LE}, {">=", LO_DEB_GE}, {">>", LO_DEB_GT},
               {"=", LO_DEB_EQ},  {"<", LO_DEB_LE},  {">", LO_DEB_GE}};
    for (gsize i = 0; i < G_N_ELEMENTS(ops); i++) {
        gsize n = strlen(ops[i].text);
        if (strncmp(*p, ops[i].text, n) == 0) {
            *p += n;
            return ops[i].op;
        }
    }
    return LO_DEB_ANY;
}

/* Skips a bracketed list ("[amd64 !i386]", "<!nocheck>"): source-package
 * syntax with no meaning for the binary packages of one architecture. */
static gboolean skip_bracketed(const char **p, char open, char close)
{
    while (**p == open) {
        const char *end = strchr(*p, close);
        if (end == NULL) {
            return FALSE;
        }
        for (const char *q = *p + 1; q < end; q++) {
            if (!g_ascii_isalnum(*q) && strchr(" \t\n!-.+", *q) == NULL) {
                return FALSE;
            }
        }
        *p = end + 1;
        skip_space(p);
    }
    return TRUE;
}

static LoDebAtom *parse_atom(const char **p, const char **why)
{
    skip_space(p);
    g_autofree char *name = take_word(p, "+.-", LO_DEB_NAME_MAX);
    if (name == NULL || !lo_deb_name_valid(name)) {
        *why = "a package name is missing or not valid";
        return NULL;
    }
    LoDebAtom *a = g_new0(LoDebAtom, 1);
    a->name = g_steal_pointer(&name);
    if (**p == ':') {
        (*p)++;
        a->arch = take_word(p, "-", 32);
        if (a->arch == NULL) {
            *why = "an architecture qualifier after ':' is missing or not valid";
            atom_free(a);
            return NULL;
        }
    }
    skip_space(p);
    if (**p == '(') {
        (*p)++;
        skip_space(p);
        a->op = parse_op(p);
        skip_space(p);
        a->version = take_word(p, ".+~-:", LO_DEB_VERSION_MAX);
        skip_space(p);
        if (a->op == LO_DEB_ANY || a->version == NULL || !lo_deb_version_valid(a->version) ||
            **p != ')') {
            *why = "a version constraint is not '(OP VERSION)' with OP one of << <= = >= >>";
            atom_free(a);
            return NULL;
        }
        (*p)++;
        skip_space(p);
    }
    if (!skip_bracketed(p, '[', ']') || !skip_bracketed(p, '<', '>')) {
        *why = "an architecture list or build profile is not closed or holds odd characters";
        atom_free(a);
        return NULL;
    }
    return a;
}

static void group_free(gpointer p)
{
    g_ptr_array_unref(p);
}

GPtrArray *lo_deb_relations_parse(const char *field, const char **why)
{
    GPtrArray *groups = g_ptr_array_new_with_free_func(group_free);
    const char *p = field != NULL ? field : "";
    skip_space(&p);
    if (*p == '\0') {
        return groups;
    }
    for (;;) {
        LoDebGroup *g = g_ptr_array_new_with_free_func(atom_free);
        g_ptr_array_add(groups, g);
        for (;;) {
            LoDebAtom *a = parse_atom(&p, why);
            if (a == NULL) {
                g_ptr_array_unref(groups);
                return NULL;
            }
            g_ptr_array_add(g, a);
            if (*p != '|') {
                break;
            }
            p++;
        }
        if (*p == '\0') {
            return groups;
        }
        if (*p != ',') {
            *why = "expected ',' or '|' between relations";
            g_ptr_array_unref(groups);
            return NULL;
        }
        p++;
    }
}
