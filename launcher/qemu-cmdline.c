#include "qemu-cmdline.h"

#include "errors.h"
#include "guest-tunables.h"
#include "util.h"

#include <string.h>

/* qemu-user reads a QEMU_* variable for every option (qemu-x86_64 -h lists
 * them: QEMU_GDB, QEMU_CPU, QEMU_LD_PREFIX, QEMU_SET_ENV, QEMU_UNAME,
 * QEMU_RAND_SEED, QEMU_RTSIG_MAP, QEMU_VERSION, ...); applied behind the
 * launcher's back they change how the game runs, QEMU_GDB even opens a
 * debugger port on every network interface. Only these, which add output
 * and nothing else, may pass from the user's environment; every other
 * QEMU_* variable, known today or added by a later QEMU, is removed. */
const char *const lo_passed_qemu_vars[] = {
    "QEMU_STRACE", "QEMU_LOG", "QEMU_LOG_FILENAME", "QEMU_DFILTER", NULL,
};

char *lo_sdl12_compat_library(const char *sysroot)
{
    return g_build_filename(sysroot != NULL ? sysroot : "/", LO_SDL12_COMPAT_DIR, "libSDL-1.2.so.0",
                            NULL);
}

char *lo_castcache_library(const char *guestlibs)
{
    return g_build_filename(guestlibs, "castcache", LORELEI_CASTCACHE_LIBRARY, NULL);
}

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
    for (const char *const *e = in->environ; *e != NULL; e++) {
        g_autofree char *name = g_strndup(*e, strcspn(*e, "="));
        if (g_str_has_prefix(name, "QEMU_") && !g_strv_contains(lo_passed_qemu_vars, name) &&
            !g_ptr_array_find_with_equal_func(out->env_unset, name, g_str_equal, NULL)) {
            add(out->env_unset, name);
            env = g_environ_unsetenv(env, name);
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
    /* The guest's loader reads a relative (or empty) LD_LIBRARY_PATH entry
     * against the game's working folder, wherever that is. */
    gboolean any_thunk = FALSE;
    for (int i = 0; i < LO_N_THUNKS; i++) {
        any_thunk = any_thunk || s->thunks[i];
    }
    if (any_thunk) {
        const char *rel = !g_path_is_absolute(in->guestlibs) ? in->guestlibs
                          : !g_path_is_absolute(in->preload) ? in->preload
                                                             : NULL;
        if (rel != NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE,
                        "'%s' is not an absolute path: the game would look for its libraries "
                        "relative to the folder it runs in",
                        rel);
            lo_error_fix(error, "give LORELEI_GUESTLIBS and LORELEI_PRELOAD as absolute paths");
            return FALSE;
        }
    }
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
        /* qemu-user's -E splits its argument at commas, and the guest's
         * loader splits LD_LIBRARY_PATH at ':' and ';' (a ';' would turn
         * the folder into two, one of them relative to the game's
         * working folder): none can be part of a folder's name. */
        if (strpbrk(dir, ",:;") != NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE,
                        "the guest library folder %s contains ',', ':' or ';', which "
                        "LD_LIBRARY_PATH and QEMU's -E cannot carry",
                        dir);
            lo_error_fix(error, "install or build qemu-lorelei in a path without ',', ':' and ';'");
            return FALSE;
        }
        g_string_append_printf(libpath, "%s%s", libpath->len ? ":" : "", dir);
    }

    if (in->sdl12_compat_dir != NULL) {
        g_string_append_printf(libpath, "%s%s", libpath->len ? ":" : "", in->sdl12_compat_dir);
    }

    /* The guest's dynamic_cast cache: a guest library like the stubs, so it
     * comes with them. */
    g_autofree char *castcache = NULL;
    if (thunks && !s->keep_dynamic_cast) {
        castcache = lo_castcache_library(in->guestlibs);
        if (!g_file_test(castcache, G_FILE_TEST_IS_REGULAR)) {
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                        "the guest library %s (the dynamic_cast cache) is missing", castcache);
            lo_error_fix(error, "build the guest libraries (scripts/build.sh build), point "
                                "LORELEI_GUESTLIBS at them, or run with --keep-dynamic-cast");
            return FALSE;
        }
        /* The guest's loader splits LD_PRELOAD at spaces and colons, and
         * qemu-user's -E splits at commas. */
        if (strpbrk(castcache, " :,") != NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE,
                        "the dynamic_cast cache's path %s contains a space, ':' or ',', which "
                        "the guest's LD_PRELOAD cannot carry",
                        castcache);
            lo_error_fix(error, "install or build qemu-lorelei in a path without them, or run "
                                "with --keep-dynamic-cast");
            return FALSE;
        }
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

    /* Folders the caller adds (run --library-path, or the LD_LIBRARY_PATH a
     * game's launch script set, through binfmt) come after the stubs. */
    if (s->library_path != NULL && s->library_path[0] != '\0') {
        if (strchr(s->library_path, ',') != NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                        "the library path %s contains ',', which QEMU's -E cannot carry",
                        s->library_path);
            lo_error_fix(error, "rename the folder, or give the folders without it");
            return FALSE;
        }
        g_string_append_printf(libpath, "%s%s", libpath->len ? ":" : "", s->library_path);
    }

    add(out->argv, in->qemu);
    if (in->sysroot != NULL) {
        add(out->argv, "-L");
        add(out->argv, in->sysroot);
    }
    add(out->argv, "-cpu");
    add_printf(out->argv, "%s%s", s->cpu, s->keep_rep_strings ? "" : LO_CPU_HIDDEN_FEATURES);
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
    if (in->gdb_socket != NULL) {
        add(out->argv, "-g");
        add(out->argv, in->gdb_socket);
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
        if (in->plugin_verbose) {
            g_string_append(plugin, ",verbose=on");
        }
        add(out->argv, "-plugin");
        add(out->argv, plugin->str);
    }
    /* A plugin of its own beside the forwarding one (which pays nothing
     * for it when it is absent); without thunks it profiles plain QEMU. */
    if (in->profile_plugin != NULL) {
        g_autofree char *escaped = lo_qemu_opt_escape(in->profile_plugin);
        g_autofree char *out_file =
            in->profile_out != NULL ? lo_qemu_opt_escape(in->profile_out) : NULL;
        /* The guest's debug symbols (libc6-dbg:amd64 and the like) are
         * where its libraries are: under the sysroot when there is one. */
        g_autofree char *debug_dir =
            in->sysroot != NULL ? g_build_filename(in->sysroot, "usr", "lib", "debug", NULL) : NULL;
        g_autofree char *debug_escaped = debug_dir != NULL ? lo_qemu_opt_escape(debug_dir) : NULL;
        add(out->argv, "-plugin");
        add_printf(out->argv, "%s%s%s%s%s", escaped, out_file != NULL ? ",out=" : "",
                   out_file != NULL ? out_file : "", debug_escaped != NULL ? ",debug_dir=" : "",
                   debug_escaped != NULL ? debug_escaped : "");
    }
    if (thunks) {
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
    } else if (libpath->len > 0) {
        add(out->argv, "-E");
        add_printf(out->argv, "LD_LIBRARY_PATH=%s", libpath->str);
    } else {
        add(out->argv, "-U");
        add(out->argv, "LD_LIBRARY_PATH");
    }
    /* The guest glibc's string functions QEMU runs fastest (guest-tunables.h),
     * added to what the game would get from the user's environment. */
    if (!s->keep_sse42_strings) {
        g_autofree char *tunables =
            lo_guest_glibc_tunables(g_environ_getenv((gchar **)in->environ, "GLIBC_TUNABLES"));
        if (tunables != NULL) {
            add(out->argv, "-E");
            add_printf(out->argv, "GLIBC_TUNABLES=%s", tunables);
        }
    }
    for (guint i = 0; i < s->env_keys->len; i++) {
        add(out->argv, "-E");
        add_printf(out->argv, "%s=%s", (char *)s->env_keys->pdata[i],
                   (char *)s->env_values->pdata[i]);
    }
    /* Never QEMU's own LD_PRELOAD (the shim, a host library). */
    if (castcache != NULL) {
        add(out->argv, "-E");
        add_printf(out->argv, "LD_PRELOAD=%s", castcache);
    } else {
        add(out->argv, "-U");
        add(out->argv, "LD_PRELOAD");
    }
    /* QEMU takes any argument starting with '-' as its own option. */
    g_autofree char *game =
        in->game[0] == '-' ? g_strconcat("./", in->game, NULL) : g_strdup(in->game);
    /* The game sees --argv0 (binfmt's ARGV0), else the path it was started
     * by, as its argv[0], while QEMU runs the file the launcher opened and
     * hashed (game_file), not whatever has that path now. One -0 only:
     * QEMU takes the last, so a second one would hide --argv0. */
    add(out->argv, "-0");
    add(out->argv, s->argv0 != NULL ? s->argv0 : game);
    add(out->argv, in->game_file != NULL ? in->game_file : game);
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
