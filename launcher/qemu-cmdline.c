#include "qemu-cmdline.h"

#include "errors.h"
#include "util.h"

#include <string.h>

const char *const lo_stripped_qemu_vars[] = {
    "QEMU_LD_PREFIX", "QEMU_CPU",    "QEMU_GUEST_BASE", "QEMU_RESERVED_VA", "QEMU_SET_ENV",
    "QEMU_UNSET_ENV", "QEMU_PLUGIN", "QEMU_STACK_SIZE", "QEMU_ARGV0",       NULL,
};

char *lo_qemu_opt_escape(const char *value)
{
    GString *out = g_string_new(NULL);
    for (const char *p = value; *p != '\0'; p++) {
        g_string_append_c(out, *p);
        if (*p == ',') {
            g_string_append_c(out, ',');
        }
    }
    return g_string_free(out, FALSE);
}

static void add(GPtrArray *a, const char *s)
{
    g_ptr_array_add(a, g_strdup(s));
}

static void add_printf(GPtrArray *a, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void add_printf(GPtrArray *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(a, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* Builds QEMU's host environment from the launcher's. */
static void build_env(const LoCommandInput *in, gboolean thunks, LoCommand *out)
{
    const LoRunSettings *s = in->settings;
    g_auto(GStrv) env = g_strdupv((char **)in->environ);
    for (const char *const *v = lo_stripped_qemu_vars; *v != NULL; v++) {
        if (g_environ_getenv(env, *v) != NULL) {
            add(out->env_unset, *v);
            env = g_environ_unsetenv(env, *v);
        }
    }
    if (thunks) {
        env = g_environ_setenv(env, "LD_PRELOAD", in->preload, TRUE);
        add_printf(out->env_set, "LD_PRELOAD=%s", in->preload);
    }
    for (guint i = 0; i < s->env_keys->len; i++) {
        env = g_environ_setenv(env, s->env_keys->pdata[i], s->env_values->pdata[i], TRUE);
        add_printf(out->env_set, "%s=%s", (char *)s->env_keys->pdata[i],
                   (char *)s->env_values->pdata[i]);
    }
    for (char **e = env; *e != NULL; e++) {
        add(out->envp, *e);
    }
    g_ptr_array_add(out->envp, NULL);
}

gboolean lo_command_build(const LoCommandInput *in, LoCommand *out, GError **error)
{
    const LoRunSettings *s = in->settings;
    out->argv = g_ptr_array_new_with_free_func(g_free);
    out->envp = g_ptr_array_new_with_free_func(g_free);
    out->env_set = g_ptr_array_new_with_free_func(g_free);
    out->env_unset = g_ptr_array_new_with_free_func(g_free);

    gboolean thunks = FALSE;
    g_autoptr(GString) plugin = NULL;
    g_autoptr(GString) libpath = g_string_new(NULL);
    for (int i = 0; i < LO_N_THUNKS; i++) {
        if (!s->thunks[i]) {
            continue;
        }
        if (!thunks) {
            g_autofree char *escaped = lo_qemu_opt_escape(in->plugin);
            plugin = g_string_new(escaped);
            thunks = TRUE;
        }
        g_string_append_printf(plugin, ",lib=%s", lo_thunk_names[i]);
        if (s->syscall_transport[i]) {
            g_string_append_printf(plugin, ",transport.%s=syscall", lo_thunk_names[i]);
        }
        g_autofree char *dir = g_build_filename(in->guestlibs, lo_thunk_names[i], NULL);
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                        "guest libraries for %s not found: %s is not a directory",
                        lo_thunk_names[i], dir);
            lo_error_fix(error,
                         "build the guest libraries (scripts/build.sh build), point "
                         "LORELEI_GUESTLIBS at them, or run with --no-thunk %s",
                         lo_thunk_names[i]);
            return FALSE;
        }
        /* qemu-user's -E splits its argument at commas, and ':' separates
         * the folders: neither can be part of a folder's name. */
        if (strpbrk(dir, ",:") != NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE,
                        "the guest library folder %s contains ',' or ':', which "
                        "LD_LIBRARY_PATH and QEMU's -E cannot carry",
                        dir);
            lo_error_fix(error, "install or build qemu-lorelei in a path without ',' and ':'");
            return FALSE;
        }
        g_string_append_printf(libpath, "%s%s", libpath->len ? ":" : "", dir);
    }

    /* The dynamic loader splits LD_PRELOAD at spaces and colons. */
    if (thunks && strpbrk(in->preload, " :") != NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE,
                    "the preload shim's path %s contains a space or ':', which LD_PRELOAD cannot "
                    "carry",
                    in->preload);
        lo_error_fix(error, "install or build qemu-lorelei in a path without spaces and ':'");
        return FALSE;
    }

    add(out->argv, in->qemu);
    if (in->sysroot != NULL) {
        add(out->argv, "-L");
        add(out->argv, in->sysroot);
    }
    add(out->argv, "-cpu");
    add(out->argv, s->cpu);
    if (s->stack_size != NULL) {
        add(out->argv, "-s");
        add(out->argv, s->stack_size);
    }
    if (s->strace) {
        add(out->argv, "-strace");
    }
    if (s->one_insn_per_tb) {
        add(out->argv, "-one-insn-per-tb");
    }
    if (s->log_items->len > 0) {
        g_autoptr(GString) items = g_string_new(NULL);
        for (guint i = 0; i < s->log_items->len; i++) {
            g_string_append_printf(items, "%s%s", i ? "," : "", (char *)s->log_items->pdata[i]);
        }
        add(out->argv, "-d");
        add(out->argv, items->str);
    }
    if (thunks) {
        add(out->argv, "-plugin");
        add(out->argv, plugin->str);
        add(out->argv, "-E");
        add_printf(out->argv, "LD_LIBRARY_PATH=%s", libpath->str);
        /* A game that bundles or statically links SDL2 is redirected to the
         * stub through SDL's dynamic API. Guest only: the host's SDL must
         * never load the x86_64 stub. */
        for (int i = 0; i < LO_N_THUNKS; i++) {
            if (s->thunks[i] && strcmp(lo_thunk_names[i], "sdl2") == 0) {
                add(out->argv, "-E");
                add_printf(out->argv, "SDL_DYNAMIC_API=%s/sdl2/libSDL2-2.0.so.0", in->guestlibs);
            }
        }
    } else {
        add(out->argv, "-U");
        add(out->argv, "LD_LIBRARY_PATH");
    }
    for (guint i = 0; i < s->env_keys->len; i++) {
        add(out->argv, "-E");
        add_printf(out->argv, "%s=%s", (char *)s->env_keys->pdata[i],
                   (char *)s->env_values->pdata[i]);
    }
    add(out->argv, "-U");
    add(out->argv, "LD_PRELOAD");
    /* QEMU takes any argument starting with '-' as its own option. */
    if (in->game[0] == '-') {
        add_printf(out->argv, "./%s", in->game);
    } else {
        add(out->argv, in->game);
    }
    for (guint i = 0; i < s->args->len; i++) {
        add(out->argv, s->args->pdata[i]);
    }
    for (const char *const *a = in->game_args; a != NULL && *a != NULL; a++) {
        add(out->argv, *a);
    }
    g_ptr_array_add(out->argv, NULL);
    build_env(in, thunks, out);
    return TRUE;
}

void lo_command_clear(LoCommand *cmd)
{
    g_clear_pointer(&cmd->argv, g_ptr_array_unref);
    g_clear_pointer(&cmd->envp, g_ptr_array_unref);
    g_clear_pointer(&cmd->env_set, g_ptr_array_unref);
    g_clear_pointer(&cmd->env_unset, g_ptr_array_unref);
}
