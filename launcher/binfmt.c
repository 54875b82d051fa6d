#include "binfmt.h"

#include "errors.h"
#include "lorelei-config.h"
#include "paths.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

/* e_ident (class 64, little-endian, version 1), e_type 2 or 3, e_machine 62. */
static const guint8 x86_64_magic[20] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0,    0,
                                        0,    0,   0,   0,   0, 0, 2, 0, 0x3e, 0};
static const guint8 x86_64_mask[20] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xfe, 0x00, 0xff, 0xff,
                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff, 0xff, 0xff};

const char *lo_binfmt_dir(void)
{
    const char *dir = g_getenv("LORELEI_BINFMT_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : LO_BINFMT_DEFAULT_DIR;
}

static void append_hex(GString *out, const guint8 *bytes, gsize n)
{
    for (gsize i = 0; i < n; i++) {
        g_string_append_printf(out, "\\x%02x", bytes[i]);
    }
}

char *lo_binfmt_registration(const char *interpreter, GError **error)
{
    /* The kernel splits the line at ':' and keeps at most 127 bytes of path. */
    if (strchr(interpreter, ':') != NULL || strlen(interpreter) > 127 || interpreter[0] != '/') {
        g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                    "the interpreter path %s cannot be registered: binfmt_misc needs an absolute "
                    "path of at most 127 bytes without ':'",
                    interpreter);
        lo_error_fix(error, "install qemu-lorelei under a shorter path without ':'");
        return NULL;
    }
    for (const char *p = interpreter; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                        "the interpreter path holds a control character");
            return NULL;
        }
    }
    GString *out = g_string_new(":" LO_BINFMT_NAME ":M::");
    append_hex(out, x86_64_magic, sizeof(x86_64_magic));
    g_string_append_c(out, ':');
    append_hex(out, x86_64_mask, sizeof(x86_64_mask));
    g_string_append_printf(out, ":%s:" LO_BINFMT_FLAGS, interpreter);
    return g_string_free(out, FALSE);
}

void lo_binfmt_entry_clear(LoBinfmtEntry *e)
{
    g_clear_pointer(&e->interpreter, g_free);
    g_clear_pointer(&e->flags, g_free);
    g_clear_pointer(&e->magic, g_byte_array_unref);
    g_clear_pointer(&e->mask, g_byte_array_unref);
}

static GByteArray *parse_hex(const char *s)
{
    gsize n = strlen(s);
    if (n == 0 || n % 2 != 0 || n > 256) {
        return NULL;
    }
    GByteArray *out = g_byte_array_new();
    for (gsize i = 0; i < n; i += 2) {
        int hi = g_ascii_xdigit_value(s[i]), lo = g_ascii_xdigit_value(s[i + 1]);
        if (hi < 0 || lo < 0) {
            g_byte_array_unref(out);
            return NULL;
        }
        guint8 b = (guint8)(hi << 4 | lo);
        g_byte_array_append(out, &b, 1);
    }
    return out;
}

gboolean lo_binfmt_parse_entry(const char *text, gsize length, LoBinfmtEntry *out, GError **error)
{
    memset(out, 0, sizeof(*out));
    g_autofree char *copy = g_strndup(text, MIN(length, (gsize)LO_BINFMT_MAX_ENTRY));
    g_auto(GStrv) lines = g_strsplit(copy, "\n", 64);
    gboolean have_state = FALSE;
    for (char **l = lines; *l != NULL; l++) {
        const char *line = *l;
        if (strcmp(line, "enabled") == 0 || strcmp(line, "disabled") == 0) {
            out->enabled = line[0] == 'e';
            have_state = TRUE;
        } else if (g_str_has_prefix(line, "interpreter ") && out->interpreter == NULL) {
            out->interpreter = g_strdup(line + 12);
        } else if (g_str_has_prefix(line, "flags: ") && out->flags == NULL) {
            out->flags = g_strdup(line + 7);
        } else if (g_str_has_prefix(line, "offset ")) {
            guint64 v = 0;
            if (!g_ascii_string_to_unsigned(line + 7, 10, 0, 128, &v, NULL)) {
                lo_binfmt_entry_clear(out);
                g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "bad offset line '%s'", line);
                return FALSE;
            }
            out->offset = (guint)v;
        } else if (g_str_has_prefix(line, "magic ") && out->magic == NULL) {
            out->magic = parse_hex(line + 6);
        } else if (g_str_has_prefix(line, "mask ") && out->mask == NULL) {
            out->mask = parse_hex(line + 5);
        }
    }
    if (!have_state || out->interpreter == NULL) {
        lo_binfmt_entry_clear(out);
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "not a binfmt_misc entry (no enabled/disabled or interpreter line)");
        return FALSE;
    }
    if (out->flags == NULL) {
        out->flags = g_strdup("");
    }
    return TRUE;
}

gboolean lo_binfmt_entry_takes_x86_64(const LoBinfmtEntry *e)
{
    if (e->magic == NULL) {
        return FALSE;
    }
    /* The kernel compares the first bytes of the file: a sample x86_64 PIE. */
    guint8 sample[128] = {0};
    memcpy(sample, x86_64_magic, sizeof(x86_64_magic));
    sample[16] = 3; /* ET_DYN: most programs today */
    if (e->offset + e->magic->len > sizeof(sample)) {
        return FALSE;
    }
    for (guint i = 0; i < e->magic->len; i++) {
        guint8 mask = e->mask != NULL && i < e->mask->len ? e->mask->data[i] : 0xff;
        if (((sample[e->offset + i] ^ e->magic->data[i]) & mask) != 0) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean lo_binfmt_read_entry(const char *name, LoBinfmtEntry *out, GError **error)
{
    g_autofree char *path = g_build_filename(lo_binfmt_dir(), name, NULL);
    g_autofree char *text = NULL;
    gsize length = 0;
    if (!g_file_get_contents(path, &text, &length, NULL)) {
        memset(out, 0, sizeof(*out));
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "%s is not registered", name);
        return FALSE;
    }
    if (!lo_binfmt_parse_entry(text, length, out, error)) {
        g_prefix_error(error, "%s: ", path);
        return FALSE;
    }
    return TRUE;
}

gboolean lo_binfmt_active(void)
{
    g_autofree char *status_path = g_build_filename(lo_binfmt_dir(), "status", NULL);
    g_autofree char *status = NULL;
    if (!g_file_get_contents(status_path, &status, NULL, NULL) ||
        !g_str_has_prefix(status, "enabled")) {
        return FALSE;
    }
    g_auto(LoBinfmtEntry) e = {0};
    return lo_binfmt_read_entry(LO_BINFMT_NAME, &e, NULL) && e.enabled;
}

char *lo_binfmt_find_interpreter(GError **error)
{
    g_autofree char *rel_libexec = lo_relative_path(LO_ABS_BINDIR, LO_ABS_LIBEXECDIR);
    g_autofree char *installed_dir = g_canonicalize_filename(rel_libexec, lo_exe_dir());
    const char *dirs[] = {lo_exe_dir(), installed_dir, LO_ABS_LIBEXECDIR};
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        g_autofree char *p = g_build_filename(dirs[i], LO_BINFMT_ENTRY, NULL);
        if (access(p, X_OK) == 0) {
            return g_steal_pointer(&p);
        }
    }
    g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                "%s (the binfmt entry of qemu-lorelei) not found", LO_BINFMT_ENTRY);
    for (gsize i = 0; i < G_N_ELEMENTS(dirs); i++) {
        lo_error_note(error, "tried: %s/%s", dirs[i], LO_BINFMT_ENTRY);
    }
    lo_error_fix(error, "reinstall qemu-lorelei (or rebuild: scripts/build.sh build); it is a "
                        "symbolic link to qemu-lorelei");
    return NULL;
}
