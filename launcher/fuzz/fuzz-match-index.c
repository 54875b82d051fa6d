/*
 * libFuzzer target: the community match index reader. The file is written
 * by sync, but read as untrusted: any bytes must give either "not an index"
 * or lookups that answer only well-formed ids (or say the index is
 * damaged), never a read outside the buffer.
 */
#include "match-index.h"
#include "profile-rules.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ids(GPtrArray *ids)
{
    for (guint i = 0; i < ids->len; i++) {
        if (!lo_pattern_match(LO_PAT_ID, ids->pdata[i])) {
            abort(); /* an id no profile file can have */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    LoMatchIndex *index = lo_match_index_new(data, size, &error);
    if (index == NULL) {
        if (error == NULL) {
            abort(); /* refused without saying why */
        }
        g_error_free(error);
        return 0;
    }
    static const char *const names[] = {"game", "game.x86_64", "a", ""};
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    gboolean sha = FALSE, any = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        if (lo_match_index_exe(index, names[i], ids, &sha)) {
            check_ids(ids);
        }
        g_ptr_array_set_size(ids, 0);
    }
    if (lo_match_index_sha256(
            index, "0a286de534b54d48b8ba73798a7b5bfa45717f09e6da0983f4dfca5a1f23c1e4", ids)) {
        check_ids(ids);
    }
    lo_match_index_sha256_only(index, &any);
    g_ptr_array_unref(ids);
    lo_match_index_free(index);
    return 0;
}
