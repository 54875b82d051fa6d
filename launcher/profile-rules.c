#include "profile-rules.h"

#include <string.h>

const char *const lo_thunk_names[LO_N_THUNKS + 1] = {"sdl2", "gl", "vulkan", NULL};
const char *const lo_status_names[] = {"playable", "runs", "broken", NULL};
const char *const lo_log_items[] = {"unimp", "guest_errors", "strace", "plugin", "page", NULL};

int lo_thunk_from_name(const char *name)
{
    for (int i = 0; i < LO_N_THUNKS; i++) {
        if (strcmp(lo_thunk_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

gboolean lo_pattern_match(const char *pattern, const char *text)
{
    /* The patterns are few and fixed: compile each once. */
    static GHashTable *cache;
    static GMutex lock;
    g_mutex_lock(&lock);
    if (cache == NULL) {
        cache = g_hash_table_new(g_str_hash, g_str_equal);
    }
    GRegex *re = g_hash_table_lookup(cache, pattern);
    if (re == NULL) {
        g_autoptr(GError) error = NULL;
        /* DOLLAR_ENDONLY: "$" must not accept a trailing newline. */
        re = g_regex_new(pattern, G_REGEX_DOLLAR_ENDONLY, 0, &error);
        g_assert_no_error(error);
        g_hash_table_insert(cache, (gpointer)pattern, re);
    }
    g_mutex_unlock(&lock);
    return g_regex_match(re, text, 0, NULL);
}

static gboolean is_control(gunichar c, gboolean allow_tab_newline)
{
    if (allow_tab_newline && (c == '\t' || c == '\n')) {
        return FALSE;
    }
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

static gboolean check_chars(const char *s, gboolean allow_tab_newline, gunichar *bad)
{
    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (is_control(c, allow_tab_newline)) {
            if (bad != NULL) {
                *bad = c;
            }
            return FALSE;
        }
    }
    return TRUE;
}

gboolean lo_is_line(const char *s, gunichar *bad)
{
    return check_chars(s, FALSE, bad);
}

gboolean lo_is_text(const char *s, gunichar *bad)
{
    return check_chars(s, TRUE, bad);
}

const char *lo_env_key_refusal(const char *key)
{
    static const char *const denied[] = {LO_ENV_KEY_DENIED_LIST, NULL};
    if (g_str_has_prefix(key, "LD_")) {
        return "LD_* variables are never allowed: they decide which libraries load";
    }
    if (g_str_has_prefix(key, "QEMU_")) {
        return "QEMU_* variables are never allowed: they change how QEMU runs the game";
    }
    if (!lo_pattern_match(LO_PAT_ENV_KEY, key)) {
        return "not on the allow-list (" LO_ENV_FAMILIES ")";
    }
    if (g_strv_contains(denied, key) || lo_pattern_match(LO_PAT_ENV_KEY_DENIED, key)) {
        return "it names a file, directory or library to load, which a profile may not choose";
    }
    return NULL;
}

const char *lo_env_value_refusal(const char *value)
{
    if (g_utf8_strlen(value, -1) > LO_MAX_ENV_VALUE_CHARS) {
        return "longer than " G_STRINGIFY(LO_MAX_ENV_VALUE_CHARS) " characters";
    }
    if (!lo_is_line(value, NULL)) {
        return "contains a control character";
    }
    if (strchr(value, '/') != NULL) {
        return "contains '/': a profile's environment values may not be paths";
    }
    if (strchr(value, ',') != NULL) {
        return "contains ',': qemu-user's -E option splits values at commas";
    }
    return NULL;
}
