#include "run-settings.h"

#include <string.h>

static gboolean get_bool(const cJSON *obj, const char *key, gboolean fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

static char *get_string(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? g_strdup(v->valuestring) : NULL;
}

static GPtrArray *get_strings(const cJSON *obj, const char *key)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(obj, key))
    {
        if (cJSON_IsString(item)) {
            g_ptr_array_add(out, g_strdup(item->valuestring));
        }
    }
    return out;
}

const char *lo_default_cpu(const gboolean *thunks)
{
    return thunks[LO_THUNK_GL] && thunks[LO_THUNK_VULKAN] ? LO_DEFAULT_CPU
                                                          : LO_EMULATED_DRIVERS_CPU;
}

gboolean lo_cpu_breaks_emulated_drivers(const char *cpu)
{
    /* The other models of the allow-list identify as CPUs LLVM maps to a
     * 64-bit target (core2, nocona, k8, amdfam10, znver, haswell, ...). */
    return strcmp(cpu, "max") == 0;
}

LoRunSettings *lo_run_settings_from_profile(const cJSON *merged)
{
    LoRunSettings *s = g_new0(LoRunSettings, 1);
    const cJSON *thunks = cJSON_GetObjectItemCaseSensitive(merged, "thunks");
    for (int i = 0; i < LO_N_THUNKS; i++) {
        s->thunks[i] = get_bool(thunks, lo_thunk_names[i], TRUE);
    }
    const cJSON *transport = cJSON_GetObjectItemCaseSensitive(merged, "transport");
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_autofree char *t = get_string(transport, lo_thunk_names[i]);
        s->syscall_transport[i] = t != NULL && strcmp(t, "syscall") == 0;
    }
    const cJSON *qemu = cJSON_GetObjectItemCaseSensitive(merged, "qemu");
    s->cpu = get_string(qemu, "cpu");
    if (s->cpu == NULL) {
        s->cpu = g_strdup(lo_default_cpu(s->thunks));
    }
    s->stack_size = get_string(qemu, "stack_size");
    s->strace = get_bool(qemu, "strace", FALSE);
    s->one_insn_per_tb = get_bool(qemu, "one_insn_per_tb", FALSE);
    s->log_items = get_strings(qemu, "log");
    s->env_keys = g_ptr_array_new_with_free_func(g_free);
    s->env_values = g_ptr_array_new_with_free_func(g_free);
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(merged, "env"))
    {
        if (cJSON_IsString(v)) {
            g_ptr_array_add(s->env_keys, g_strdup(v->string));
            g_ptr_array_add(s->env_values, g_strdup(v->valuestring));
        }
    }
    s->args = get_strings(merged, "args");
    s->sysroot = get_string(merged, "sysroot");
    s->sdl12_compat = get_bool(merged, "sdl12_compat", TRUE);
    return s;
}

void lo_run_settings_free(LoRunSettings *s)
{
    if (s == NULL) {
        return;
    }
    g_free(s->cpu);
    g_free(s->stack_size);
    g_ptr_array_unref(s->log_items);
    g_ptr_array_unref(s->env_keys);
    g_ptr_array_unref(s->env_values);
    g_ptr_array_unref(s->args);
    g_free(s->sysroot);
    g_free(s->argv0);
    g_free(s->library_path);
    g_free(s);
}
