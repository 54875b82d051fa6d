#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

void lo_close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

char *lo_sha256_file(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;
        g_autofree char *shown = lo_printable(path, 200);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot read %s: %s",
                    shown, g_strerror(saved));
        return NULL;
    }
    char *sha = lo_sha256_fd(fd, path, error);
    close(fd);
    return sha;
}

char *lo_sha256_fd(int fd, const char *path, GError **error)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guchar buf[64 * 1024];
    for (off_t at = 0;;) {
        /* pread: the descriptor's offset stays where QEMU expects it. */
        ssize_t n = pread(fd, buf, sizeof(buf), at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int saved = errno;
            g_autofree char *shown = lo_printable(path, 200);
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot read %s: %s",
                        shown, g_strerror(saved));
            return NULL;
        }
        if (n == 0) {
            break;
        }
        g_checksum_update(sum, buf, n);
        at += n;
    }
    return g_strdup(g_checksum_get_string(sum));
}

char *lo_sha256_data(const void *data, gsize len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

static guint edit_distance(const char *a, const char *b)
{
    gsize la = strlen(a), lb = strlen(b);
    g_autofree guint *row = g_new(guint, lb + 1);
    for (gsize j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (gsize i = 1; i <= la; i++) {
        guint diag = row[0];
        row[0] = i;
        for (gsize j = 1; j <= lb; j++) {
            guint up = row[j];
            guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
            row[j] = MIN(MIN(row[j] + 1, row[j - 1] + 1), diag + cost);
            diag = up;
        }
    }
    return row[lb];
}

const char *lo_closest_match(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    guint best_distance = G_MAXUINT;
    for (const char *const *c = candidates; c != NULL && *c != NULL; c++) {
        /* A prefix ("prof" for "profile") is as good a hint as a typo. */
        guint d = g_str_has_prefix(*c, word) && word[0] != '\0' ? 1 : edit_distance(word, *c);
        if (d < best_distance) {
            best_distance = d;
            best = *c;
        }
    }
    /* More than a third of the word wrong is not a typo any more. */
    guint allowed = MAX(2u, (guint)strlen(word) / 3);
    return best_distance <= allowed ? best : NULL;
}

char *lo_shell_quote(const char *arg)
{
    if (arg[0] == '\0') {
        return g_strdup("''");
    }
    gboolean plain = TRUE, controls = !g_utf8_validate(arg, -1, NULL);
    for (const unsigned char *p = (const unsigned char *)arg; *p != '\0'; p++) {
        if (!g_ascii_isalnum(*p) && strchr("_@%+=:,./-", *p) == NULL) {
            plain = FALSE;
        }
        if (*p < 0x20 || *p == 0x7f) {
            controls = TRUE;
        }
    }
    for (const char *p = arg; !controls && *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        controls = c >= 0x80 && c <= 0x9f;
    }
    if (controls) {
        /* $'...' (bash, zsh, ksh, newer dash) spells control characters as
         * \xNN: printed raw they would drive the terminal, and no plain
         * quoting shows them. */
        GString *out = g_string_new("$'");
        for (const unsigned char *p = (const unsigned char *)arg; *p != '\0'; p++) {
            if (*p == '\'' || *p == '\\') {
                g_string_append_printf(out, "\\%c", *p);
            } else if (*p < 0x20 || *p >= 0x7f) {
                /* Every byte from 0x80 up too: C1 controls hide in UTF-8. */
                g_string_append_printf(out, "\\x%02x", *p);
            } else {
                g_string_append_c(out, (char)*p);
            }
        }
        g_string_append_c(out, '\'');
        return g_string_free(out, FALSE);
    }
    return plain ? g_strdup(arg) : g_shell_quote(arg);
}

char *lo_shell_join(const char *const *argv)
{
    GString *out = g_string_new(NULL);
    for (const char *const *a = argv; *a != NULL; a++) {
        g_autofree char *quoted = lo_shell_quote(*a);
        if (out->len > 0) {
            g_string_append_c(out, ' ');
        }
        g_string_append(out, quoted);
    }
    return g_string_free(out, FALSE);
}

int lo_compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *lo_human_size(guint64 bytes)
{
    /* GLib separates number and unit with a no-break space; tables and
     * scripts are better served by a plain one. */
    g_autofree char *text = g_format_size_full(bytes, G_FORMAT_SIZE_IEC_UNITS);
    g_auto(GStrv) parts = g_strsplit(text, "\u00a0", -1);
    return g_strjoinv(" ", parts);
}

const char *lo_host_arch(void)
{
    static char machine[sizeof(((struct utsname *)0)->machine)];
    if (machine[0] == '\0') {
        struct utsname u;
        g_strlcpy(machine, uname(&u) == 0 ? u.machine : "unknown", sizeof(machine));
    }
    return machine;
}

gboolean lo_host_is_x86_64(void)
{
    return strcmp(lo_host_arch(), "x86_64") == 0;
}

/* Appends s with control characters (C0, DEL, C1) and invalid UTF-8 bytes
 * made visible; keep_lines leaves newline and tab as they are. */
static void append_printable(GString *out, const char *s, glong max_chars, gboolean keep_lines)
{
    glong n = 0;
    const char *end = s + strlen(s);
    for (const char *p = s; *p != '\0'; n++) {
        if (max_chars >= 0 && n == max_chars) {
            g_string_append(out, "...");
            break;
        }
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            g_string_append_printf(out, "\\x%02x", (unsigned char)*p);
            p++;
            continue;
        }
        if (keep_lines && (c == '\n' || c == '\t')) {
            g_string_append_c(out, (char)c);
        } else if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
            g_string_append_printf(out, c < 0x80 ? "\\x%02x" : "\\u{%04x}", c);
        } else {
            g_string_append_unichar(out, c);
        }
        p = g_utf8_next_char(p);
    }
}

char *lo_printable(const char *s, glong max_chars)
{
    GString *out = g_string_new(NULL);
    append_printable(out, s, max_chars, FALSE);
    return g_string_free(out, FALSE);
}

char *lo_printable_text(const char *s)
{
    GString *out = g_string_new(NULL);
    append_printable(out, s, -1, TRUE);
    return g_string_free(out, FALSE);
}

char *lo_relative_path(const char *from, const char *to)
{
    g_autofree char *a = g_canonicalize_filename(from, "/");
    g_autofree char *b = g_canonicalize_filename(to, "/");
    g_auto(GStrv) pa = g_strsplit(a + 1, "/", -1);
    g_auto(GStrv) pb = g_strsplit(b + 1, "/", -1);
    guint common = 0;
    while (pa[common] != NULL && pb[common] != NULL && pa[common][0] != '\0' &&
           strcmp(pa[common], pb[common]) == 0) {
        common++;
    }
    GString *out = g_string_new(NULL);
    for (guint i = common; pa[i] != NULL; i++) {
        if (pa[i][0] != '\0') {
            g_string_append(out, out->len ? "/.." : "..");
        }
    }
    for (guint i = common; pb[i] != NULL; i++) {
        if (pb[i][0] != '\0') {
            g_string_append_printf(out, "%s%s", out->len ? "/" : "", pb[i]);
        }
    }
    if (out->len == 0) {
        g_string_append_c(out, '.');
    }
    return g_string_free(out, FALSE);
}
