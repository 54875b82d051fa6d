/*
 * The community repository's index.json: one entry per profile with its
 * file name, size and sha256, so `profile sync` can verify every download.
 *
 *   {"schema": 1,
 *    "profiles": [{"id": "glxgears", "path": "glxgears.json",
 *                  "sha256": "<64 hex>", "size": 812}, ...]}
 *
 * The index is untrusted input too: unknown keys, duplicate ids, a path other
 * than "<id>.json" and sizes above the profile limit are refused.
 */
#pragma once

#include <glib.h>

#define LO_INDEX_SCHEMA      1
#define LO_INDEX_MAX_BYTES   (1024 * 1024)
#define LO_INDEX_MAX_ENTRIES 4096

typedef struct {
    char *id;
    char *path;
    char *sha256;
    gsize size;
} LoIndexEntry;

/* Parses and checks an index; returns LoIndexEntry* in file order
 * (LO_EXIT_INVALID with the reason otherwise). */
GPtrArray *lo_index_parse(const char *text, gsize length, GError **error);

/* The index.json text for the profiles in dir (every *.json but index.json
 * and schema.json), each validated and named <id>.json; in file name order. */
char *lo_index_generate(const char *dir, GError **error);
