#include "report-scrub.h"

#include <string.h>

static gboolean word_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.';
}

/* Replaces needle where it stands alone: neither side touches a word
 * character, so /home/al never matches inside /home/alice. */
static char *replace_whole(const char *text, const char *needle, const char *with)
{
    gsize n = strlen(needle);
    if (n < 3) {
        return g_strdup(text);
    }
    GString *out = g_string_new(NULL);
    const char *p = text;
    const char *hit;
    while ((hit = strstr(p, needle)) != NULL) {
        char before = hit > text ? hit[-1] : ' ';
        char after = hit[n];
        /* A name inside a path component counts ("/tmp/root/x" names the user
         * no less), but not inside a longer word. */
        gboolean alone = !word_char(after) && !word_char(before);
        g_string_append_len(out, p, hit - p);
        g_string_append(out, alone ? with : needle);
        p = hit + n;
    }
    g_string_append(out, p);
    return g_string_free(out, FALSE);
}

char *lo_report_scrub(const char *text, const char *home, const char *user, const char *host)
{
    char *out = g_strdup(text);
    if (home != NULL && strcmp(home, "/") != 0) {
        g_autofree char *trimmed = g_strdup(home);
        gsize len = strlen(trimmed);
        while (len > 1 && trimmed[len - 1] == '/') {
            trimmed[--len] = '\0';
        }
        char *next = replace_whole(out, trimmed, "~");
        g_free(out);
        out = next;
    }
    const char *names[] = {user, host};
    const char *labels[] = {"USER", "HOST"};
    for (int i = 0; i < 2; i++) {
        if (names[i] != NULL) {
            char *next = replace_whole(out, names[i], labels[i]);
            g_free(out);
            out = next;
        }
    }
    return out;
}
