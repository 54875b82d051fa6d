#include "apt-sources.h"

#include "deb822.h"
#include "json-util.h"
#include "profile-rules.h"
#include "util.h"

#include <string.h>

static gboolean is_security(const char *uri, char **suites)
{
    g_autofree char *trimmed = g_strdup(uri);
    gsize n = strlen(trimmed);
    while (n > 0 && trimmed[n - 1] == '/') {
        trimmed[--n] = '\0';
    }
    if (g_str_has_suffix(trimmed, "debian-security")) {
        return TRUE;
    }
    for (char **s = suites; s != NULL && *s != NULL; s++) {
        if (g_str_has_suffix(*s, "-security") || g_str_has_suffix(*s, "/updates")) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean usable_uri(const char *uri)
{
    return lo_is_line(uri, NULL) &&
           (g_str_has_prefix(uri, "http://") || g_str_has_prefix(uri, "https://") ||
            g_str_has_prefix(uri, "file:/"));
}

static char **words(const char *text)
{
    g_auto(GStrv) parts = g_strsplit_set(text != NULL ? text : "", " \t\n", -1);
    GPtrArray *out = g_ptr_array_new();
    for (char **p = parts; *p != NULL; p++) {
        if ((*p)[0] != '\0') {
            g_ptr_array_add(out, g_strdup(*p));
        }
    }
    g_ptr_array_add(out, NULL);
    return (char **)g_ptr_array_free(out, FALSE);
}

/* Considers one entry: keeps the best so far in *best. */
static void consider(char **uris, char **suites, const char *suite, char **best,
                     gboolean *best_lists)
{
    if (uris == NULL || uris[0] == NULL || !usable_uri(uris[0]) || is_security(uris[0], suites)) {
        return;
    }
    gboolean lists = g_strv_contains((const char *const *)suites, suite);
    if (*best == NULL || (lists && !*best_lists)) {
        g_free(*best);
        *best = g_strdup(uris[0]);
        *best_lists = lists;
    }
}

static void scan_deb822(const char *text, gsize len, const char *suite, char **best,
                        gboolean *best_lists)
{
    const LoDeb822Limits limits = {1 << 20, 256, 64, 64 << 10, TRUE};
    g_autoptr(GPtrArray) stanzas = lo_deb822_parse_all(text, len, &limits, "sources", NULL);
    for (guint i = 0; stanzas != NULL && i < stanzas->len; i++) {
        const LoDeb822Stanza *s = stanzas->pdata[i];
        const char *enabled = lo_deb822_get(s, "Enabled");
        g_auto(GStrv) types = words(lo_deb822_get(s, "Types"));
        if ((enabled != NULL && g_ascii_strcasecmp(enabled, "no") == 0) ||
            !g_strv_contains((const char *const *)types, "deb")) {
            continue;
        }
        g_auto(GStrv) uris = words(lo_deb822_get(s, "URIs"));
        g_auto(GStrv) suites = words(lo_deb822_get(s, "Suites"));
        consider(uris, suites, suite, best, best_lists);
    }
}

static void scan_one_line(const char *text, const char *suite, char **best, gboolean *best_lists)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        char *hash = strchr(*l, '#');
        if (hash != NULL) {
            *hash = '\0';
        }
        g_auto(GStrv) w = words(*l);
        if (w[0] == NULL || strcmp(w[0], "deb") != 0) {
            continue;
        }
        guint i = 1;
        if (w[i] != NULL && w[i][0] == '[') {
            while (w[i] != NULL && strchr(w[i], ']') == NULL) {
                i++;
            }
            if (w[i] == NULL) {
                continue;
            }
            i++;
        }
        if (w[i] == NULL || w[i + 1] == NULL) {
            continue;
        }
        char *uris[] = {w[i], NULL};
        char *suites[] = {w[i + 1], NULL};
        consider(uris, suites, suite, best, best_lists);
    }
}

char *lo_apt_mirror_in_text(const char *text, gsize len, gboolean deb822, const char *suite,
                            gboolean *lists_suite)
{
    char *best = NULL;
    gboolean lists = FALSE;
    if (deb822) {
        scan_deb822(text, len, suite, &best, &lists);
    } else {
        g_autofree char *copy = g_strndup(text, len);
        scan_one_line(copy, suite, &best, &lists);
    }
    if (lists_suite != NULL) {
        *lists_suite = lists;
    }
    return best;
}

char *lo_apt_find_mirror(const char *etc_apt, const char *suite, char **from)
{
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(files, g_build_filename(etc_apt, "sources.list", NULL));
    g_autofree char *dir = g_build_filename(etc_apt, "sources.list.d", NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (g_str_has_suffix(name, ".list") || g_str_has_suffix(name, ".sources")) {
            g_ptr_array_add(names, g_strdup(name));
        }
    }
    g_ptr_array_sort(names, lo_compare_strings);
    for (guint i = 0; i < names->len; i++) {
        g_ptr_array_add(files, g_build_filename(dir, names->pdata[i], NULL));
    }
    char *best = NULL;
    gboolean best_lists = FALSE;
    for (guint i = 0; i < files->len && !best_lists; i++) {
        const char *path = files->pdata[i];
        g_autofree char *text = NULL;
        gsize len = 0;
        if (!lo_read_file_limited(path, 1 << 20, &text, &len, NULL)) {
            continue;
        }
        gboolean lists = FALSE;
        g_autofree char *uri =
            lo_apt_mirror_in_text(text, len, g_str_has_suffix(path, ".sources"), suite, &lists);
        if (uri != NULL && (best == NULL || (lists && !best_lists))) {
            g_free(best);
            best = g_steal_pointer(&uri);
            best_lists = lists;
            g_free(*from);
            *from = g_strdup(path);
        }
    }
    return best;
}
