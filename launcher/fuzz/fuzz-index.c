/*
 * libFuzzer target: the community index parser. An accepted index must hold
 * only entries whose path is "<id>.json" with a valid id: that is what keeps
 * a hostile repository from naming files outside the community folder.
 */
#include "index.h"
#include "profile-rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    GPtrArray *entries = lo_index_parse((const char *)data, size, &error);
    if (entries == NULL) {
        if (error == NULL) {
            abort();
        }
        g_error_free(error);
        return 0;
    }
    for (guint i = 0; i < entries->len; i++) {
        const LoIndexEntry *e = entries->pdata[i];
        size_t n = strlen(e->id);
        if (!lo_pattern_match(LO_PAT_ID, e->id) || strncmp(e->path, e->id, n) != 0 ||
            strcmp(e->path + n, ".json") != 0 || strchr(e->path, '/') != NULL || e->size == 0 ||
            e->size > LO_PROFILE_MAX_BYTES) {
            abort();
        }
    }
    g_ptr_array_unref(entries);
    return 0;
}
