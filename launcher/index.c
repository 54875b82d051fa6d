#include "index.h"

#include "errors.h"
#include "json-util.h"
#include "profile-rules.h"
#include "profile-validate.h"
#include "util.h"

#include <string.h>

static void entry_free(gpointer p)
{
    LoIndexEntry *e = p;
    g_free(e->id);
    g_free(e->path);
    g_free(e->sha256);
    g_free(e);
}

static gboolean bad(GError **error, int i, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static gboolean bad(GError **error, int i, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (i < 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "index.json: %s", text);
    } else {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "index.json: profiles[%d]: %s", i, text);
    }
    return FALSE;
}

static gboolean only_keys(const cJSON *obj, const char *const *allowed, int i, GError **error)
{
    for (const cJSON *m = obj->child; m != NULL; m = m->next) {
        if (!g_strv_contains(allowed, m->string)) {
            g_autofree char *shown = lo_printable(m->string, 60);
            return bad(error, i, "unknown key '%s'", shown);
        }
    }
    for (const char *const *k = allowed; *k != NULL; k++) {
        if (cJSON_GetObjectItemCaseSensitive(obj, *k) == NULL) {
            return bad(error, i, "'%s' is missing", *k);
        }
    }
    return TRUE;
}

static gboolean parse_entry(const cJSON *item, int i, GHashTable *seen, LoIndexEntry *e,
                            GError **error)
{
    static const char *const keys[] = {"id", "path", "sha256", "size", NULL};
    if (!cJSON_IsObject(item)) {
        return bad(error, i, "must be an object");
    }
    if (!only_keys(item, keys, i, error)) {
        return FALSE;
    }
    const char *id = lo_json_string(item, "id");
    const char *path = lo_json_string(item, "path");
    const char *sha256 = lo_json_string(item, "sha256");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(item, "size");
    if (id == NULL || !lo_is_line(id, NULL) || !lo_pattern_match(LO_PAT_ID, id)) {
        return bad(error, i, "'id' is not a valid profile id");
    }
    if (lo_id_is_reserved(id)) {
        return bad(error, i, "the id '%s' is reserved: %s.json is the repository's own file", id,
                   id);
    }
    g_autofree char *expected = g_strconcat(id, ".json", NULL);
    if (path == NULL || strcmp(path, expected) != 0) {
        return bad(error, i, "'path' must be \"%s\"", expected);
    }
    if (sha256 == NULL || !lo_pattern_match(LO_PAT_SHA256, sha256)) {
        return bad(error, i, "'sha256' must be 64 lowercase hex digits");
    }
    if (!cJSON_IsNumber(size) || size->valuedouble < 1 ||
        size->valuedouble > LO_PROFILE_MAX_BYTES || size->valuedouble != (gsize)size->valuedouble) {
        return bad(error, i, "'size' must be a whole number from 1 to %d", LO_PROFILE_MAX_BYTES);
    }
    if (!g_hash_table_add(seen, g_strdup(id))) {
        return bad(error, i, "profile '%s' is listed twice", id);
    }
    e->id = g_strdup(id);
    e->path = g_strdup(path);
    e->sha256 = g_strdup(sha256);
    e->size = (gsize)size->valuedouble;
    return TRUE;
}

GPtrArray *lo_index_parse(const char *text, gsize length, GError **error)
{
    static const char *const keys[] = {"schema", "profiles", NULL};
    if (length > LO_INDEX_MAX_BYTES) {
        bad(error, -1, "%" G_GSIZE_FORMAT " bytes; the limit is %d", length, LO_INDEX_MAX_BYTES);
        return NULL;
    }
    g_autoptr(GError) local = NULL;
    g_autoptr(cJSON) doc = lo_json_parse_strict(text, length, &local);
    if (doc == NULL) {
        bad(error, -1, "%s", local->message);
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        bad(error, -1, "must be a JSON object");
        return NULL;
    }
    if (!only_keys(doc, keys, -1, error)) {
        return NULL;
    }
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(doc, "schema");
    if (!cJSON_IsNumber(schema) || schema->valuedouble != LO_INDEX_SCHEMA) {
        bad(error, -1, "'schema' must be %d (is this qemu-lorelei older than the repository?)",
            LO_INDEX_SCHEMA);
        return NULL;
    }
    const cJSON *profiles = cJSON_GetObjectItemCaseSensitive(doc, "profiles");
    if (!cJSON_IsArray(profiles)) {
        bad(error, -1, "'profiles' must be a list");
        return NULL;
    }
    if (cJSON_GetArraySize(profiles) > LO_INDEX_MAX_ENTRIES) {
        bad(error, -1, "more than %d profiles", LO_INDEX_MAX_ENTRIES);
        return NULL;
    }
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func(entry_free);
    int i = 0;
    for (const cJSON *item = profiles->child; item != NULL; item = item->next, i++) {
        LoIndexEntry *e = g_new0(LoIndexEntry, 1);
        if (!parse_entry(item, i, seen, e, error)) {
            entry_free(e);
            return NULL;
        }
        g_ptr_array_add(entries, e);
    }
    return g_steal_pointer(&entries);
}

char *lo_index_generate(const char *dir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, error);
    if (d == NULL) {
        return NULL;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (name[0] != '.' && g_str_has_suffix(name, ".json") && strcmp(name, "index.json") &&
            strcmp(name, "schema.json")) {
            g_ptr_array_add(names, g_strdup(name));
        }
    }
    g_ptr_array_sort(names, lo_compare_strings);
    if (names->len > LO_INDEX_MAX_ENTRIES) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s holds more than %d profiles", dir,
                    LO_INDEX_MAX_ENTRIES);
        return NULL;
    }
    g_autoptr(cJSON) doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "schema", LO_INDEX_SCHEMA);
    cJSON *list = cJSON_AddArrayToObject(doc, "profiles");
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        g_autofree char *text = NULL;
        gsize length = 0;
        if (!lo_read_file_limited(path, LO_PROFILE_MAX_BYTES, &text, &length, error)) {
            return NULL;
        }
        g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
        g_autoptr(cJSON) profile = lo_profile_parse(text, length, problems);
        if (profile == NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s is not a valid profile", path);
            lo_error_add_problems(error, problems);
            lo_error_fix(error, "correct it, then regenerate the index");
            return NULL;
        }
        const char *id = lo_json_string(profile, "id");
        g_autofree char *expected = g_strconcat(id, ".json", NULL);
        if (strcmp(names->pdata[i], expected) != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "%s holds profile '%s', so it must be named %s", path, id, expected);
            lo_error_fix(error, "rename the file to match its id");
            return NULL;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", id);
        cJSON_AddStringToObject(e, "path", expected);
        g_autofree char *sha = lo_sha256_data(text, length);
        cJSON_AddStringToObject(e, "sha256", sha);
        cJSON_AddNumberToObject(e, "size", (double)length);
        cJSON_AddItemToArray(list, e);
    }
    return lo_json_to_string(doc);
}
