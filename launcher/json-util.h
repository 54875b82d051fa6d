/*
 * Strict JSON reading and stable JSON writing for untrusted documents
 * (profiles, the community index).
 *
 * cJSON alone is lenient in ways an attacker could use to make two readers
 * disagree: it keeps duplicate keys, truncates strings at an escaped NUL and
 * takes raw control characters and invalid UTF-8. lo_json_parse_strict()
 * refuses all of those first, so what qemu-lorelei checks is what Python's
 * json module (and the JSON Schema test) sees.
 */
#pragma once

#include <cjson/cJSON.h>
#include <glib.h>

/* Deepest nesting accepted; no valid profile or index comes close. */
#define LO_JSON_MAX_DEPTH 16

G_DEFINE_AUTOPTR_CLEANUP_FUNC(cJSON, cJSON_Delete)

/* Reads a whole regular file of at most max_bytes; larger files are refused
 * with a message naming the limit (LO_EXIT_INVALID). Anything else (a FIFO,
 * a device, a folder) is refused without blocking (LO_EXIT_INVALID); a file
 * that does not exist is LO_EXIT_NOT_FOUND. For every file an untrusted
 * party could have placed or named. */
gboolean lo_read_file_limited(const char *path, gsize max_bytes, char **contents, gsize *length,
                              GError **error);

/* Parses a complete JSON document; errors say where and what (LO_EXIT_INVALID). */
cJSON *lo_json_parse_strict(const char *text, gsize length, GError **error);

/* Appends value as JSON with two-space indentation, keys in document order,
 * integers without a fraction: stable output for files people diff. */
void lo_json_write(GString *out, const cJSON *value, int indent);

/* The document followed by a newline. */
char *lo_json_to_string(const cJSON *value);

/* The string member key of obj, or NULL when absent or not a string. */
const char *lo_json_string(const cJSON *obj, const char *key);
