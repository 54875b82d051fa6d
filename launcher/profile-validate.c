#include "profile-validate.h"

#include "errors.h"
#include "json-util.h"
#include "profile-rules.h"
#include "util.h"

#include <math.h>
#include <string.h>

typedef struct {
    GPtrArray *problems;
    GString *path;
} Ctx;

static void problem(Ctx *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void problem(Ctx *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(c->problems,
                    g_strdup_printf("%s: %s", c->path->len ? c->path->str : "profile", text));
}

static gsize push_key(Ctx *c, const char *key)
{
    gsize saved = c->path->len;
    g_string_append_printf(c->path, "%s%s", saved ? "." : "", key);
    return saved;
}

static gsize push_index(Ctx *c, int i)
{
    gsize saved = c->path->len;
    g_string_append_printf(c->path, "[%d]", i);
    return saved;
}

static void pop(Ctx *c, gsize saved)
{
    g_string_truncate(c->path, saved);
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsString(v)) {
        return "a string";
    }
    if (cJSON_IsNumber(v)) {
        return "a number";
    }
    if (cJSON_IsBool(v)) {
        return "a boolean";
    }
    if (cJSON_IsArray(v)) {
        return "a list";
    }
    if (cJSON_IsObject(v)) {
        return "an object";
    }
    return "null";
}

static gboolean expect(Ctx *c, const cJSON *v, gboolean ok, const char *wanted)
{
    if (!ok) {
        problem(c, "must be %s, not %s", wanted, type_name(v));
    }
    return ok;
}

/* Reports keys of obj not in allowed[]; TRUE when every key is known. */
static gboolean known_keys(Ctx *c, const cJSON *obj, const char *const *allowed)
{
    gboolean ok = TRUE;
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        if (g_strv_contains(allowed, m->string)) {
            continue;
        }
        g_autofree char *list = g_strjoinv(", ", (char **)allowed);
        const char *guess = lo_closest_match(m->string, allowed);
        gunichar bad;
        if (!lo_is_line(m->string, &bad)) {
            problem(c, "unknown key with a control character (allowed: %s)", list);
        } else if (guess != NULL) {
            problem(c, "unknown key '%s' (did you mean '%s'?)", m->string, guess);
        } else {
            problem(c, "unknown key '%s' (allowed: %s)", m->string, list);
        }
        ok = FALSE;
    }
    return ok;
}

static void check_required(Ctx *c, const cJSON *obj, const char *const *required)
{
    for (const char *const *r = required; *r != NULL; r++) {
        if (cJSON_GetObjectItemCaseSensitive(obj, *r) == NULL) {
            problem(c, "'%s' is required", *r);
        }
    }
}

/* A string of at most max_chars, either a "line" or multi-line "text",
 * optionally matching pattern (hint explains the pattern in words). */
static gboolean check_string(Ctx *c, const cJSON *v, gboolean multiline, glong min_chars,
                             glong max_chars, const char *pattern, const char *hint)
{
    if (!expect(c, v, cJSON_IsString(v), "a string")) {
        return FALSE;
    }
    const char *s = v->valuestring;
    gunichar bad;
    if (!(multiline ? lo_is_text(s, &bad) : lo_is_line(s, &bad))) {
        problem(c, "contains the control character U+%04X%s", bad,
                multiline ? " (only tab and newline are allowed)" : "");
        return FALSE;
    }
    glong n = g_utf8_strlen(s, -1);
    if (n < min_chars) {
        problem(c, "must not be empty");
        return FALSE;
    }
    if (max_chars > 0 && n > max_chars) {
        problem(c, "is %ld characters long; the limit is %ld", n, max_chars);
        return FALSE;
    }
    if (pattern != NULL && !lo_pattern_match(pattern, s)) {
        problem(c, "'%s' is not %s", s, hint);
        return FALSE;
    }
    return TRUE;
}

static void check_bool(Ctx *c, const cJSON *v)
{
    expect(c, v, cJSON_IsBool(v), "true or false");
}

static void check_enum(Ctx *c, const cJSON *v, const char *const *values)
{
    if (!expect(c, v, cJSON_IsString(v), "a string")) {
        return;
    }
    if (!g_strv_contains(values, v->valuestring)) {
        g_autofree char *list = g_strjoinv(", ", (char **)values);
        gunichar bad;
        if (lo_is_line(v->valuestring, &bad)) {
            problem(c, "'%s' is not one of: %s", v->valuestring, list);
        } else {
            problem(c, "must be one of: %s", list);
        }
    }
}

typedef void (*ItemCheck)(Ctx *c, const cJSON *item);

static void check_list(Ctx *c, const cJSON *v, int max_items, gboolean unique, ItemCheck each)
{
    if (!expect(c, v, cJSON_IsArray(v), "a list")) {
        return;
    }
    int n = cJSON_GetArraySize(v);
    if (n > max_items) {
        problem(c, "has %d entries; the limit is %d", n, max_items);
        return;
    }
    int i = 0;
    for (const cJSON *item = v->child; item != NULL; item = item->next, i++) {
        gsize saved = push_index(c, i);
        each(c, item);
        if (unique && cJSON_IsString(item)) {
            for (const cJSON *prev = v->child; prev != item; prev = prev->next) {
                if (cJSON_IsString(prev) && strcmp(prev->valuestring, item->valuestring) == 0) {
                    problem(c, "repeats an earlier entry");
                    break;
                }
            }
        }
        pop(c, saved);
    }
}

static void check_comment(Ctx *c, const cJSON *v)
{
    check_string(c, v, TRUE, 0, LO_MAX_COMMENT_CHARS, NULL, NULL);
}

static void check_exe(Ctx *c, const cJSON *v)
{
    check_string(c, v, FALSE, 1, 255, LO_PAT_EXE, "a file name (no '/')");
}

static void check_sha256(Ctx *c, const cJSON *v)
{
    check_string(c, v, FALSE, 1, 64, LO_PAT_SHA256, "a sha256 (64 lowercase hex digits)");
}

static void check_match(Ctx *c, const cJSON *v)
{
    static const char *const keys[] = {"$comment", "exe", "sha256", NULL};
    if (!expect(c, v, cJSON_IsObject(v), "an object") || !known_keys(c, v, keys)) {
        return;
    }
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        gsize saved = push_key(c, m->string);
        if (strcmp(m->string, "exe") == 0) {
            check_list(c, m, LO_MAX_EXE_NAMES, TRUE, check_exe);
        } else if (strcmp(m->string, "sha256") == 0) {
            check_list(c, m, LO_MAX_SHA256, TRUE, check_sha256);
        } else {
            check_comment(c, m);
        }
        pop(c, saved);
    }
}

/* The keys of thunks and transport: "$comment", then lo_thunk_names with
 * its NULL, so a new thunk is accepted in both without another list here. */
#define N_THUNK_KEYS (LO_N_THUNKS + 2)
static void thunk_keys(const char *keys[N_THUNK_KEYS])
{
    keys[0] = "$comment";
    memcpy(&keys[1], lo_thunk_names, sizeof(lo_thunk_names));
}

static void check_thunks(Ctx *c, const cJSON *v)
{
    const char *keys[N_THUNK_KEYS];
    thunk_keys(keys);
    if (!expect(c, v, cJSON_IsObject(v), "an object") || !known_keys(c, v, keys)) {
        return;
    }
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        gsize saved = push_key(c, m->string);
        if (strcmp(m->string, "$comment") == 0) {
            check_comment(c, m);
        } else {
            check_bool(c, m);
        }
        pop(c, saved);
    }
}

/* transport: how each forwarded library's calls reach the host
 * (docs/profiles.md); "syscall" bisects a problem with the inline path. */
static void check_transport(Ctx *c, const cJSON *v)
{
    const char *keys[N_THUNK_KEYS];
    thunk_keys(keys);
    static const char *const values[] = {"inline", "syscall", NULL};
    if (!expect(c, v, cJSON_IsObject(v), "an object") || !known_keys(c, v, keys)) {
        return;
    }
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        gsize saved = push_key(c, m->string);
        if (strcmp(m->string, "$comment") == 0) {
            check_comment(c, m);
        } else {
            check_enum(c, m, values);
        }
        pop(c, saved);
    }
}

static void check_env(Ctx *c, const cJSON *v)
{
    if (!expect(c, v, cJSON_IsObject(v), "an object")) {
        return;
    }
    int n = cJSON_GetArraySize(v);
    if (n > LO_MAX_ENV) {
        problem(c, "sets %d variables; the limit is %d", n, LO_MAX_ENV);
        return;
    }
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        gunichar bad;
        if (!lo_is_line(m->string, &bad)) {
            problem(c, "a variable name contains the control character U+%04X", bad);
            continue;
        }
        gsize saved = push_key(c, m->string);
        const char *why = lo_env_key_refusal(m->string);
        if (why != NULL) {
            problem(c, "this variable may not be set by a profile: %s", why);
        } else if (expect(c, m, cJSON_IsString(m), "a string")) {
            const LoEnvRule *rule = lo_env_rule(m->string);
            why = lo_env_value_refusal(m->valuestring);
            if (why != NULL) {
                problem(c, "value refused: %s", why);
            } else if (!lo_env_value_allowed(rule, m->valuestring)) {
                problem(c, "value '%s' refused: %s takes %s", m->valuestring, rule->name,
                        rule->values);
            }
        }
        pop(c, saved);
    }
}

static void check_log_item(Ctx *c, const cJSON *v)
{
    check_enum(c, v, lo_log_items);
}

static void check_qemu(Ctx *c, const cJSON *v)
{
    static const char *const keys[] = {"$comment",        "cpu", "stack_size", "strace",
                                       "one_insn_per_tb", "log", NULL};
    if (!expect(c, v, cJSON_IsObject(v), "an object") || !known_keys(c, v, keys)) {
        return;
    }
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        gsize saved = push_key(c, m->string);
        if (strcmp(m->string, "cpu") == 0) {
            check_string(c, m, FALSE, 1, 64, LO_PAT_CPU,
                         "an allowed x86_64 CPU model (max, qemu64, Haswell, EPYC-v2, ...)");
        } else if (strcmp(m->string, "stack_size") == 0) {
            check_string(c, m, FALSE, 1, 11, LO_PAT_STACK_SIZE,
                         "a stack size such as 8388608, 8192k or 8M");
        } else if (strcmp(m->string, "log") == 0) {
            check_list(c, m, LO_MAX_LOG_ITEMS, TRUE, check_log_item);
        } else if (strcmp(m->string, "$comment") == 0) {
            check_comment(c, m);
        } else {
            check_bool(c, m);
        }
        pop(c, saved);
    }
}

static void check_arg(Ctx *c, const cJSON *v)
{
    check_string(c, v, FALSE, 0, LO_MAX_ARG_CHARS, NULL, NULL);
}

/* A frame rate: a number above 0, at most LO_MAX_FPS. */
static void check_fps(Ctx *c, const cJSON *v)
{
    if (!expect(c, v, cJSON_IsNumber(v), "a number")) {
        return;
    }
    double d = v->valuedouble;
    if (!isfinite(d) || d <= 0 || d > LO_MAX_FPS) {
        problem(c, "%g is not a frame rate (above 0, at most %d)", d, LO_MAX_FPS);
    }
}

static void check_plugin_abi(Ctx *c, const cJSON *v)
{
    if (!expect(c, v, cJSON_IsNumber(v), "a whole number")) {
        return;
    }
    double d = v->valuedouble;
    if (!isfinite(d) || d != floor(d) || d < 1 || d > LO_MAX_PLUGIN_ABI) {
        problem(c, "%g is not a plugin ABI version (a whole number from 1 to %d)", d,
                LO_MAX_PLUGIN_ABI);
    }
}

static void check_record(Ctx *c, const cJSON *v)
{
    static const char *const keys[] = {
        "date",       "host_arch",       "cpu",          "gpu_renderer",
        "gpu_driver", "lorelei_version", "qemu_version", "plugin_abi",
        "fps",        "native_fps",      "result",       "notes",
        NULL};
    static const char *const required[] = {"date", "host_arch", "lorelei_version", "result", NULL};
    if (!expect(c, v, cJSON_IsObject(v), "an object") || !known_keys(c, v, keys)) {
        return;
    }
    check_required(c, v, required);
    for (const cJSON *m = v->child; m != NULL; m = m->next) {
        gsize saved = push_key(c, m->string);
        const char *k = m->string;
        if (strcmp(k, "date") == 0) {
            check_string(c, m, FALSE, 1, 10, LO_PAT_DATE, "a date (YYYY-MM-DD)");
        } else if (strcmp(k, "host_arch") == 0) {
            check_string(c, m, FALSE, 1, 16, LO_PAT_HOST_ARCH,
                         "an architecture name (uname -m, e.g. aarch64)");
        } else if (strcmp(k, "cpu") == 0 || strcmp(k, "gpu_renderer") == 0 ||
                   strcmp(k, "gpu_driver") == 0) {
            check_string(c, m, FALSE, 1, LO_MAX_RECORD_LINE, NULL, NULL);
        } else if (strcmp(k, "lorelei_version") == 0 || strcmp(k, "qemu_version") == 0) {
            check_string(c, m, FALSE, 1, LO_MAX_VERSION_CHARS, LO_PAT_VERSION,
                         "a version (e.g. 0.1.0)");
        } else if (strcmp(k, "plugin_abi") == 0) {
            check_plugin_abi(c, m);
        } else if (strcmp(k, "fps") == 0 || strcmp(k, "native_fps") == 0) {
            check_fps(c, m);
        } else if (strcmp(k, "result") == 0) {
            check_enum(c, m, lo_status_names);
        } else {
            check_string(c, m, TRUE, 0, LO_MAX_RECORD_NOTES, NULL, NULL);
        }
        pop(c, saved);
    }
}

static void check_schema_version(Ctx *c, const cJSON *v)
{
    if (!expect(c, v, cJSON_IsNumber(v), "the number 1")) {
        return;
    }
    double d = v->valuedouble;
    if (d == LO_PROFILE_SCHEMA) {
        return;
    }
    if (isfinite(d) && d == floor(d) && d > LO_PROFILE_SCHEMA && d < 1e9) {
        problem(c,
                "schema %.0f is newer than this qemu-lorelei understands (%d): update "
                "qemu-lorelei",
                d, LO_PROFILE_SCHEMA);
    } else {
        problem(c, "must be %d", LO_PROFILE_SCHEMA);
    }
}

gboolean lo_profile_validate(const cJSON *doc, GPtrArray *problems)
{
    static const char *const keys[] = {
        "$comment", "schema",  "id",     "name",      "match", "thunks",    "env",          "qemu",
        "args",     "sysroot", "status", "tested_on", "notes", "transport", "sdl12_compat", NULL};
    static const char *const required[] = {"schema", "id", NULL};
    g_autoptr(GString) path = g_string_new(NULL);
    Ctx c = {problems, path};
    guint before = problems->len;
    if (!cJSON_IsObject(doc)) {
        problem(&c, "must be a JSON object, not %s", type_name(doc));
        return FALSE;
    }
    known_keys(&c, doc, keys);
    check_required(&c, doc, required);
    for (const cJSON *m = doc->child; m != NULL; m = m->next) {
        const char *k = m->string;
        if (!g_strv_contains(keys, k)) {
            continue;
        }
        gsize saved = push_key(&c, k);
        if (strcmp(k, "schema") == 0) {
            check_schema_version(&c, m);
        } else if (strcmp(k, "id") == 0) {
            if (check_string(&c, m, FALSE, 1, 64, LO_PAT_ID,
                             "an id (lowercase letters, digits, '.', '_', '-'; at most 64)") &&
                lo_id_is_reserved(m->valuestring)) {
                problem(&c, "'%s' is reserved: %s.json is a repository's own file, never a profile",
                        m->valuestring, m->valuestring);
            }
        } else if (strcmp(k, "name") == 0) {
            check_string(&c, m, FALSE, 1, LO_MAX_NAME_CHARS, NULL, NULL);
        } else if (strcmp(k, "match") == 0) {
            check_match(&c, m);
        } else if (strcmp(k, "thunks") == 0) {
            check_thunks(&c, m);
        } else if (strcmp(k, "transport") == 0) {
            check_transport(&c, m);
        } else if (strcmp(k, "env") == 0) {
            check_env(&c, m);
        } else if (strcmp(k, "qemu") == 0) {
            check_qemu(&c, m);
        } else if (strcmp(k, "args") == 0) {
            check_list(&c, m, LO_MAX_ARGS, FALSE, check_arg);
        } else if (strcmp(k, "sysroot") == 0) {
            check_string(&c, m, FALSE, 1, 64, LO_PAT_SYSROOT,
                         "a sysroot name (letters, digits, '.', '_', '-'; at most 64)");
        } else if (strcmp(k, "status") == 0) {
            check_enum(&c, m, lo_status_names);
        } else if (strcmp(k, "tested_on") == 0) {
            check_list(&c, m, LO_MAX_TESTED_ON, FALSE, check_record);
        } else if (strcmp(k, "notes") == 0) {
            check_string(&c, m, TRUE, 0, LO_MAX_NOTES_CHARS, NULL, NULL);
        } else if (strcmp(k, "sdl12_compat") == 0) {
            check_bool(&c, m);
        } else {
            check_comment(&c, m);
        }
        pop(&c, saved);
    }
    return problems->len == before;
}

cJSON *lo_profile_parse(const char *text, gsize length, GPtrArray *problems)
{
    if (length > LO_PROFILE_MAX_BYTES) {
        g_ptr_array_add(problems,
                        g_strdup_printf("profile: %" G_GSIZE_FORMAT " bytes; the limit is %d",
                                        length, LO_PROFILE_MAX_BYTES));
        return NULL;
    }
    g_autoptr(GError) error = NULL;
    g_autoptr(cJSON) doc = lo_json_parse_strict(text, length, &error);
    if (doc == NULL) {
        g_ptr_array_add(problems, g_strdup(error->message));
        return NULL;
    }
    if (!lo_profile_validate(doc, problems)) {
        return NULL;
    }
    return g_steal_pointer(&doc);
}

void lo_error_add_problems(GError **error, GPtrArray *problems)
{
    const guint shown = 20;
    for (guint i = 0; i < problems->len && i < shown; i++) {
        lo_error_note(error, "%s", (const char *)problems->pdata[i]);
    }
    if (problems->len > shown) {
        lo_error_note(error, "(%u more problems not shown)", problems->len - shown);
    }
}

cJSON *lo_profile_load_file(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize length = 0;
    if (!lo_read_file_limited(path, LO_PROFILE_MAX_BYTES, &text, &length, error)) {
        return NULL;
    }
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    cJSON *doc = lo_profile_parse(text, length, problems);
    if (doc == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s is not a valid profile", path);
        lo_error_add_problems(error, problems);
    }
    return doc;
}
