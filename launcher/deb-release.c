#include "deb-release.h"

#include "deb822.h"
#include "errors.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

void lo_release_free(LoRelease *r)
{
    if (r == NULL) {
        return;
    }
    g_free(r->origin);
    g_free(r->label);
    g_free(r->suite);
    g_free(r->codename);
    g_free(r->version);
    g_free(r->date);
    g_strfreev(r->architectures);
    g_strfreev(r->components);
    if (r->files != NULL) {
        g_ptr_array_unref(r->files);
    }
    g_free(r);
}

static void file_free(gpointer p)
{
    LoReleaseFile *f = p;
    g_free(f->path);
    g_free(f->sha256);
    g_free(f);
}

gboolean lo_mirror_path_safe(const char *path)
{
    if (path[0] == '\0' || path[0] == '/' || strlen(path) > 1024) {
        return FALSE;
    }
    for (const char *p = path; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("+._~/-", *p) == NULL) {
            return FALSE;
        }
    }
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    for (char **p = parts; *p != NULL; p++) {
        if ((*p)[0] == '\0' || strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0) {
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean is_sha256(const char *s)
{
    if (strlen(s) != 64) {
        return FALSE;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if (!g_ascii_isxdigit(*p) || g_ascii_isupper(*p)) {
            return FALSE;
        }
    }
    return TRUE;
}

gint64 lo_release_parse_date(const char *text)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const char *p = text;
    const char *comma = strchr(p, ',');
    if (comma != NULL) {
        p = comma + 1;
    }
    int day, year, h, m, s, used = 0;
    char mon[4], zone[8];
    if (sscanf(p, " %2d %3s %4d %2d:%2d:%2d %7s%n", &day, mon, &year, &h, &m, &s, zone, &used) !=
            7 ||
        p[used] != '\0') {
        return -1;
    }
    int month = 0;
    while (month < 12 && strcmp(mon, months[month]) != 0) {
        month++;
    }
    int offset = 0; /* minutes east of UTC */
    if (strcmp(zone, "UTC") != 0 && strcmp(zone, "GMT") != 0 && strcmp(zone, "Z") != 0) {
        if ((zone[0] != '+' && zone[0] != '-') || strlen(zone) != 5 ||
            strspn(zone + 1, "0123456789") != 4) {
            return -1;
        }
        offset =
            ((zone[1] - '0') * 10 + (zone[2] - '0')) * 60 + (zone[3] - '0') * 10 + (zone[4] - '0');
        offset = zone[0] == '-' ? -offset : offset;
    }
    if (month == 12 || year < 1970 || year > 9999) {
        return -1;
    }
    g_autoptr(GDateTime) t = g_date_time_new_utc(year, month + 1, day, h, m, s);
    if (t == NULL) {
        return -1;
    }
    return g_date_time_to_unix(t) - (gint64)offset * 60;
}

static gboolean bad(GError **error, const char *what, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean bad(GError **error, const char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *where = lo_printable(what, 200);
    g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s: %s", where, why);
    return FALSE;
}

static char *field(const LoDeb822Stanza *s, const char *name)
{
    const char *v = lo_deb822_get(s, name);
    return v != NULL ? lo_printable(v, 200) : NULL;
}

static gboolean parse_files(LoRelease *r, const char *list, const char *what, GError **error)
{
    g_auto(GStrv) lines = g_strsplit(list, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        if ((*l)[0] == '\0') {
            continue;
        }
        g_auto(GStrv) words = g_strsplit_set(*l, " \t", -1);
        const char *w[3];
        int n = 0;
        for (char **x = words; *x != NULL; x++) {
            if ((*x)[0] != '\0') {
                if (n == 3) {
                    n = 4;
                    break;
                }
                w[n++] = *x;
            }
        }
        char *end = NULL;
        guint64 size = n == 3 ? g_ascii_strtoull(w[1], &end, 10) : 0;
        if (n != 3 || !is_sha256(w[0]) || end == w[1] || *end != '\0' ||
            !g_ascii_isdigit(w[1][0]) || !lo_mirror_path_safe(w[2])) {
            g_autofree char *shown = lo_printable(*l, 120);
            return bad(error, what, "the SHA256 list has a line that is not 'HASH SIZE PATH': '%s'",
                       shown);
        }
        LoReleaseFile *f = g_new0(LoReleaseFile, 1);
        f->sha256 = g_strdup(w[0]);
        f->size = size;
        f->path = g_strdup(w[2]);
        g_ptr_array_add(r->files, f);
    }
    return TRUE;
}

LoRelease *lo_release_parse(const char *text, gsize len, const char *what, GError **error)
{
    const LoDeb822Limits limits = {16 << 20, 2, 64, 8 << 20, FALSE};
    g_autoptr(GPtrArray) stanzas = lo_deb822_parse_all(text, len, &limits, what, error);
    if (stanzas == NULL) {
        return NULL;
    }
    if (stanzas->len != 1) {
        bad(error, what, "expected one stanza, found %u", stanzas->len);
        return NULL;
    }
    const LoDeb822Stanza *s = stanzas->pdata[0];
    g_autoptr(LoRelease) r = g_new0(LoRelease, 1);
    r->files = g_ptr_array_new_with_free_func(file_free);
    r->origin = field(s, "Origin");
    r->label = field(s, "Label");
    r->suite = field(s, "Suite");
    r->codename = field(s, "Codename");
    r->version = field(s, "Version");
    r->date = field(s, "Date");
    const char *by_hash = lo_deb822_get(s, "Acquire-By-Hash");
    r->by_hash = by_hash != NULL && g_ascii_strcasecmp(by_hash, "yes") == 0;
    const char *archs = lo_deb822_get(s, "Architectures");
    const char *components = lo_deb822_get(s, "Components");
    r->architectures = archs != NULL ? g_strsplit_set(archs, " \t\n", -1) : NULL;
    r->components = components != NULL ? g_strsplit_set(components, " \t\n", -1) : NULL;
    const char *until = lo_deb822_get(s, "Valid-Until");
    if (until != NULL) {
        r->valid_until = lo_release_parse_date(until);
        if (r->valid_until <= 0) {
            g_autofree char *shown = lo_printable(until, 60);
            bad(error, what, "Valid-Until '%s' is not a date", shown);
            return NULL;
        }
    }
    const char *sums = lo_deb822_get(s, "SHA256");
    if (sums == NULL) {
        bad(error, what, "it has no SHA256 list of index files");
        return NULL;
    }
    if (!parse_files(r, sums, what, error)) {
        return NULL;
    }
    return g_steal_pointer(&r);
}

const LoReleaseFile *lo_release_find(const LoRelease *r, const char *path)
{
    for (guint i = 0; i < r->files->len; i++) {
        const LoReleaseFile *f = r->files->pdata[i];
        if (strcmp(f->path, path) == 0) {
            return f;
        }
    }
    return NULL;
}

gboolean lo_release_check(const LoRelease *r, const char *suite, gint64 now, const char *what,
                          GError **error)
{
    gboolean named = (r->suite != NULL && strcmp(r->suite, suite) == 0) ||
                     (r->codename != NULL && strcmp(r->codename, suite) == 0);
    if (!named) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s describes suite '%s' (codename '%s'), not '%s': the mirror serves "
                    "another suite's file under this name, an old copy, or a tampered one",
                    what, r->suite != NULL ? r->suite : "?",
                    r->codename != NULL ? r->codename : "?", suite);
        lo_error_fix(error, "check the suite name; if it is right, use another mirror (--mirror)");
        return FALSE;
    }
    if (r->valid_until > 0 && now > r->valid_until) {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(r->valid_until);
        g_autofree char *when = t != NULL ? g_date_time_format(t, "%Y-%m-%d %H:%M UTC") : NULL;
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s expired on %s (its Valid-Until): the mirror is out of date or replays "
                    "an old Release",
                    what, when != NULL ? when : "?");
        lo_error_fix(error, "use an up-to-date mirror (--mirror URL); check this machine's clock");
        return FALSE;
    }
    if (r->architectures != NULL &&
        !g_strv_contains((const char *const *)r->architectures, "amd64")) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s lists no amd64 (x86_64) packages: this mirror does not carry them", what);
        lo_error_fix(error, "use a mirror with amd64 packages (--mirror URL)");
        return FALSE;
    }
    if (r->components != NULL && !g_strv_contains((const char *const *)r->components, "main")) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s has no 'main' component", what);
        lo_error_fix(error, "use a Debian mirror (--mirror URL)");
        return FALSE;
    }
    return TRUE;
}
