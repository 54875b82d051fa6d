/*
 * libFuzzer target: the game library reader (game-library.c). The file is
 * the user's own, but a hand edit can leave anything in it; what is accepted
 * must write back and read back the same, and desktop entries made from it
 * must stay one line per key.
 */
#include "game-library.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *error = NULL;
    GPtrArray *games = lo_library_parse((const char *)data, size, &error);
    if ((games == NULL) == (error == NULL)) {
        abort(); /* refused without saying why, or both */
    }
    if (games != NULL) {
        cJSON *doc = lo_library_to_json(games);
        char *text = lo_json_to_string(doc);
        GPtrArray *again = lo_library_parse(text, strlen(text), NULL);
        if (again == NULL || again->len != games->len) {
            abort();
        }
        for (guint i = 0; i < games->len; i++) {
            LoGame *g = games->pdata[i];
            char *entry = lo_game_desktop_entry(g, "/usr/bin/qemu-lorelei", g->path);
            /* Header, comment and 9 keys: a newline in a value would add lines. */
            guint lines = 0;
            for (const char *p = entry; *p != '\0'; p++) {
                lines += *p == '\n';
            }
            if (lines != 11) {
                abort();
            }
            g_free(entry);
        }
        g_ptr_array_unref(again);
        g_free(text);
        cJSON_Delete(doc);
        g_ptr_array_unref(games);
    }
    g_clear_error(&error);
    return 0;
}
