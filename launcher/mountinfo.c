#include "mountinfo.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

char *lo_mountinfo_unescape(const char *field)
{
    GString *out = g_string_new(NULL);
    for (const char *p = field; *p != '\0'; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            g_string_append_c(out, (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
            p += 3;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

GPtrArray *lo_mountinfo_points(const char *text)
{
    GPtrArray *points = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line != NULL; line++) {
        /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... */
        g_auto(GStrv) fields = g_strsplit(*line, " ", 6);
        if (g_strv_length(fields) >= 5) {
            g_ptr_array_add(points, lo_mountinfo_unescape(fields[4]));
        }
    }
    return points;
}

GPtrArray *lo_mounts_under(const char *path)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    char *real = realpath(path, NULL);
    g_autofree char *text = NULL;
    if (real == NULL || !g_file_get_contents("/proc/self/mountinfo", &text, NULL, NULL)) {
        free(real);
        return out;
    }
    gsize n = strlen(real);
    g_autoptr(GPtrArray) points = lo_mountinfo_points(text);
    for (guint i = 0; i < points->len; i++) {
        const char *p = points->pdata[i];
        gboolean inside =
            strncmp(p, real, n) == 0 && (p[n] == '\0' || p[n] == '/' || (n == 1 && real[0] == '/'));
        if (inside) {
            g_ptr_array_add(out, g_strdup(p));
        }
    }
    free(real);
    g_ptr_array_sort(out, lo_compare_strings);
    return out;
}
