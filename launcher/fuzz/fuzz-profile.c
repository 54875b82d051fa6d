/*
 * libFuzzer target: the profile reader (strict JSON + schema 1 validation).
 * Beyond "no crash": a profile that is accepted must survive being written
 * out and read back unchanged, and must give run settings without tripping
 * any sanitizer.
 */
#include "json-util.h"
#include "profile-validate.h"
#include "run-settings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
    cJSON *doc = lo_profile_parse((const char *)data, size, problems);
    if (doc != NULL) {
        if (problems->len != 0) {
            abort(); /* valid, yet problems reported */
        }
        char *text = lo_json_to_string(doc);
        GPtrArray *again_problems = g_ptr_array_new_with_free_func(g_free);
        cJSON *again = lo_profile_parse(text, strlen(text), again_problems);
        if (again == NULL || !cJSON_Compare(doc, again, 1)) {
            abort(); /* what we write, we must read back the same */
        }
        LoRunSettings *s = lo_run_settings_from_profile(doc);
        lo_run_settings_free(s);
        cJSON_Delete(again);
        g_ptr_array_unref(again_problems);
        g_free(text);
        cJSON_Delete(doc);
    } else if (problems->len == 0) {
        abort(); /* refused without saying why */
    }
    g_ptr_array_unref(problems);
    return 0;
}
