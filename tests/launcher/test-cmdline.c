/* The QEMU command line and environment (qemu-cmdline.c) and the quoting
 * used to print it. */
#include "errors.h"
#include "guest-tunables.h"
#include "qemu-cmdline.h"
#include "testutil.h"
#include "util.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
    char *root;
    char *guestlibs;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    (void)data;
    f->root = test_tmpdir();
    f->guestlibs = g_build_filename(f->root, "guest", NULL);
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_autofree char *d = g_build_filename(f->guestlibs, lo_thunk_names[i], NULL);
        g_mkdir_with_parents(d, 0755);
    }
    g_autofree char *cache_dir = g_build_filename(f->guestlibs, "castcache", NULL);
    g_mkdir_with_parents(cache_dir, 0755);
    g_autofree char *cache = g_build_filename(cache_dir, LORELEI_CASTCACHE_LIBRARY, NULL);
    g_assert_true(g_file_set_contents(cache, "", 0, NULL));
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    g_free(f->guestlibs);
    test_tmpdir_free(f->root);
}

static LoRunSettings *settings(const char *json)
{
    g_autoptr(cJSON) doc = cJSON_Parse(json);
    g_assert_nonnull(doc);
    return lo_run_settings_from_profile(doc);
}

static char *joined(GPtrArray *argv)
{
    return lo_shell_join((const char *const *)argv->pdata);
}

static gboolean env_has(LoCommand *cmd, const char *entry)
{
    for (guint i = 0; cmd->envp->pdata[i] != NULL; i++) {
        if (strcmp(cmd->envp->pdata[i], entry) == 0) {
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean env_has_key(LoCommand *cmd, const char *key)
{
    gsize n = strlen(key);
    for (guint i = 0; cmd->envp->pdata[i] != NULL; i++) {
        const char *e = cmd->envp->pdata[i];
        if (strncmp(e, key, n) == 0 && e[n] == '=') {
            return TRUE;
        }
    }
    return FALSE;
}

/* The input most cases start from: /g/game with the fixture's guest
 * libraries, a plugin and a shim that need not exist. */
static LoCommandInput game_input(Fixture *f, const LoRunSettings *s, const char *const *environ)
{
    return (LoCommandInput){.qemu = "/q/qemu",
                            .plugin = "/p/p.so",
                            .preload = "/p/l.so",
                            .guestlibs = f->guestlibs,
                            .game = "/g/game",
                            .settings = s,
                            .environ = environ};
}

static void test_defaults(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *args[] = {"--level", "2", NULL};
    const char *environ[] = {"PATH=/bin", "LD_PRELOAD=user.so", "HOME=/h", NULL};
    LoCommandInput in = {.qemu = "/q/qemu-x86_64",
                         .plugin = "/p/plugin.so",
                         .preload = "/p/preload.so",
                         .guestlibs = f->guestlibs,
                         .game = "./game",
                         .game_args = args,
                         .settings = s,
                         .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_autofree char *expected = g_strdup_printf(
        "/q/qemu-x86_64 -cpu max,-erms,-fsrm,-fzrm,-fsrs,-fsrc "
        "-plugin /p/plugin.so,lib=sdl2,lib=gl,lib=vulkan,lib=openal,lib=zlib,lib=vorbisfile "
        "-E LD_LIBRARY_PATH=%s/sdl2:%s/gl:%s/vulkan:%s/openal:%s/zlib:%s/vorbisfile "
        "-E SDL_DYNAMIC_API=%s/sdl2/libSDL2-2.0.so.0 -E GLIBC_TUNABLES=glibc.cpu.hwcaps=-SSE4_2 "
        "-E LD_PRELOAD=%s/castcache/" LORELEI_CASTCACHE_LIBRARY " -0 ./game ./game --level 2",
        f->guestlibs, f->guestlibs, f->guestlibs, f->guestlibs, f->guestlibs, f->guestlibs,
        f->guestlibs, f->guestlibs);
    g_assert_cmpstr(line, ==, expected);
    /* The shim replaces the user's LD_PRELOAD in QEMU's own environment. */
    g_assert_true(env_has(&cmd, "LD_PRELOAD=/p/preload.so"));
    g_assert_false(env_has(&cmd, "LD_PRELOAD=user.so"));
    g_assert_true(env_has(&cmd, "PATH=/bin"));
    g_assert_true(env_has(&cmd, "HOME=/h"));
    g_assert_cmpuint(cmd.env_set->len, ==, 1);
    g_assert_cmpuint(cmd.env_unset->len, ==, 0);
}

static void test_everything(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings(
        "{\"thunks\": {\"gl\": false}, \"qemu\": {\"cpu\": \"Haswell\", \"stack_size\": \"16M\","
        " \"strace\": true, \"one_insn_per_tb\": true, \"log\": [\"unimp\", \"guest_errors\"]},"
        " \"env\": {\"SDL_AUDIODRIVER\": \"disk\", \"vblank_mode\": \"0\"}, \"args\": [\"-p\", \"a "
        "b\"]}");
    const char *args[] = {"$HOME", "it's", NULL};
    const char *environ[] = {"QEMU_CPU=486",           "QEMU_LD_PREFIX=/x",
                             "QEMU_SET_ENV=A=1",       "QEMU_UNSET_ENV=PATH",
                             "QEMU_GUEST_BASE=0x1000", "QEMU_RESERVED_VA=1G",
                             "QEMU_PLUGIN=/evil.so",   "QEMU_STACK_SIZE=1",
                             "QEMU_ARGV0=x",           "QEMU_STRACE=1",
                             "SDL_AUDIODRIVER=alsa",   "QEMU_GDB=1234",
                             "QEMU_SOMETHING_NEW=1",   NULL};
    LoCommandInput in = {.qemu = "/q/qemu",
                         .plugin = "/p/a,b.so",
                         .preload = "/p/preload.so",
                         .guestlibs = f->guestlibs,
                         .sysroot = "/s/root",
                         .game = "-weird-name",
                         .game_args = args,
                         .settings = s,
                         .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_autofree char *expected = g_strdup_printf(
        "/q/qemu -L /s/root -cpu Haswell" LO_CPU_HIDDEN_FEATURES
        " -s 16M -strace -one-insn-per-tb -d unimp,guest_errors "
        "-plugin /p/a,,b.so,lib=sdl2,lib=vulkan,lib=openal,lib=zlib,lib=vorbisfile "
        "-E LD_LIBRARY_PATH=%s/sdl2:%s/vulkan:%s/openal:%s/zlib:%s/vorbisfile "
        "-E SDL_DYNAMIC_API=%s/sdl2/libSDL2-2.0.so.0 "
        "-E GLIBC_TUNABLES=glibc.cpu.hwcaps=-SSE4_2 -E SDL_AUDIODRIVER=disk -E vblank_mode=0 "
        "-E LD_PRELOAD=%s/castcache/" LORELEI_CASTCACHE_LIBRARY
        " -0 ./-weird-name ./-weird-name -p "
        "'a b' '$HOME' "
        "'it'\\''s'",
        f->guestlibs, f->guestlibs, f->guestlibs, f->guestlibs, f->guestlibs, f->guestlibs,
        f->guestlibs);
    g_assert_cmpstr(line, ==, expected);
    for (const char *const *e = environ; *e != NULL; e++) {
        g_autofree char *name = g_strndup(*e, strcspn(*e, "="));
        gboolean passes = !g_str_has_prefix(name, "QEMU_") || !strcmp(name, "QEMU_STRACE");
        g_assert_true(env_has_key(&cmd, name) == passes);
    }
    g_assert_cmpuint(cmd.env_unset->len, ==, 11);
    /* Debugging variables the user set on purpose stay. */
    g_assert_true(env_has(&cmd, "QEMU_STRACE=1"));
    /* The profile's variables reach QEMU's host environment too (the host
     * libraries read them there), overriding the user's. */
    g_assert_true(env_has(&cmd, "SDL_AUDIODRIVER=disk"));
    g_assert_true(env_has(&cmd, "vblank_mode=0"));
}

/* run --verbose: the plugin logs the host libraries it loads, once, after
 * the libraries. */
static void test_plugin_verbose(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *environ[] = {NULL};
    LoCommandInput in = game_input(f, s, environ);
    in.plugin_verbose = TRUE;
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_assert_nonnull(strstr(line, " -plugin /p/p.so,lib=sdl2,lib=gl,lib=vulkan,lib=openal,"
                                  "lib=zlib,lib=vorbisfile,verbose=on "));
}

/* run --profile-libs: the profiling plugin gets the report's path and,
 * with a sysroot, where the guest's debug symbols are (under the sysroot,
 * not the host's /usr/lib/debug); commas in either are doubled for QEMU. */
static void test_profile_plugin(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *environ[] = {NULL};
    LoCommandInput in = game_input(f, s, environ);
    in.profile_plugin = "/p/prof.so";
    in.profile_out = "/o/a,b.json";
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_assert_nonnull(strstr(line, " -plugin /p/prof.so,out=/o/a,,b.json "));
    g_assert_null(strstr(line, "debug_dir"));

    in.sysroot = "/s/r,oot";
    g_auto(LoCommand) with_sysroot = {0};
    g_assert_true(lo_command_build(&in, &with_sysroot, &error));
    g_autofree char *line2 = joined(with_sysroot.argv);
    g_assert_nonnull(
        strstr(line2, " -plugin /p/prof.so,out=/o/a,,b.json,debug_dir=/s/r,,oot/usr/lib/debug "));
}

static void test_no_thunks_is_plain_qemu(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s =
        settings("{\"thunks\": {\"sdl2\": false, \"gl\": false, \"vulkan\": false, "
                 "\"openal\": false, \"zlib\": false, \"vorbisfile\": false}}");
    const char *environ[] = {"LD_PRELOAD=user.so", NULL};
    LoCommandInput in = {.qemu = "/q/qemu", .game = "/g/game", .settings = s, .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_assert_cmpstr(line, ==,
                    "/q/qemu -cpu Haswell-noTSX" LO_CPU_HIDDEN_FEATURES
                    " -U LD_LIBRARY_PATH -E GLIBC_TUNABLES=glibc.cpu.hwcaps=-SSE4_2 -U LD_PRELOAD "
                    "-0 /g/game /g/game");
    g_assert_true(env_has(&cmd, "LD_PRELOAD=user.so"));
    (void)f;
}

/* A thunk turned off (run --no-thunk NAME makes the same settings): neither
 * lib=NAME nor its stub folder, which then need not exist. */
typedef struct {
    const char *settings; /* the profile's thunks object */
    const char *folder;   /* the stub folder that must not be needed */
    const char *plugin;   /* the expected -plugin argument */
    const char *folders;  /* the library path's folders in the guest-libs folder */
} ThunkOff;

static const ThunkOff zlib_off = {"{\"thunks\": {\"zlib\": false}}", "zlib",
                                  "/p/p.so,lib=sdl2,lib=gl,lib=vulkan,lib=openal,lib=vorbisfile",
                                  "sdl2 gl vulkan openal vorbisfile"};
static const ThunkOff vorbisfile_off = {"{\"thunks\": {\"vorbisfile\": false}}", "vorbisfile",
                                        "/p/p.so,lib=sdl2,lib=gl,lib=vulkan,lib=openal,lib=zlib",
                                        "sdl2 gl vulkan openal zlib"};

static void test_thunk_off(Fixture *f, gconstpointer data)
{
    const ThunkOff *t = data;
    g_autoptr(LoRunSettings) s = settings(t->settings);
    const char *environ[] = {NULL};
    LoCommandInput in = game_input(f, s, environ);
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_auto(GStrv) folders = g_strsplit(t->folders, " ", -1);
    g_autoptr(GString) path = g_string_new(NULL);
    for (char **name = folders; *name; name++) {
        g_string_append_printf(path, "%s%s/%s", path->len ? ":" : "", f->guestlibs, *name);
    }
    g_autofree char *expected = g_strdup_printf(
        "/q/qemu -cpu max" LO_CPU_HIDDEN_FEATURES " -plugin %s -E LD_LIBRARY_PATH=%s "
        "-E SDL_DYNAMIC_API=%s/sdl2/libSDL2-2.0.so.0 -E GLIBC_TUNABLES=glibc.cpu.hwcaps=-SSE4_2 "
        "-E LD_PRELOAD=%s/castcache/" LORELEI_CASTCACHE_LIBRARY " -0 /g/game /g/game",
        t->plugin, path->str, f->guestlibs, f->guestlibs);
    g_assert_cmpstr(line, ==, expected);
    /* Its stub folder is not needed either. */
    g_autofree char *folder = g_build_filename(f->guestlibs, t->folder, NULL);
    g_assert_cmpint(g_rmdir(folder), ==, 0);
    g_auto(LoCommand) cmd2 = {0};
    g_assert_true(lo_command_build(&in, &cmd2, &error));
}

/* The dynamic_cast cache: the guest's LD_PRELOAD with thunks on; none with
 * run --keep-dynamic-cast; a missing one is an error that names the fix. */
static void test_castcache(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *environ[] = {NULL};
    LoCommandInput in = game_input(f, s, environ);
    g_autoptr(GError) error = NULL;
    g_auto(LoCommand) cached = {0};
    g_assert_true(lo_command_build(&in, &cached, &error));
    g_autofree char *line = joined(cached.argv);
    g_autofree char *preload =
        g_strdup_printf(" -E LD_PRELOAD=%s/castcache/" LORELEI_CASTCACHE_LIBRARY " ", f->guestlibs);
    g_assert_nonnull(strstr(line, preload));
    g_assert_null(strstr(line, "-U LD_PRELOAD"));

    s->keep_dynamic_cast = TRUE;
    g_auto(LoCommand) kept = {0};
    g_assert_true(lo_command_build(&in, &kept, &error));
    g_autofree char *line2 = joined(kept.argv);
    g_assert_nonnull(strstr(line2, " -U LD_PRELOAD -0 "));
    g_assert_null(strstr(line2, "castcache"));

    s->keep_dynamic_cast = FALSE;
    g_autofree char *cache =
        g_build_filename(f->guestlibs, "castcache", LORELEI_CASTCACHE_LIBRARY, NULL);
    g_assert_cmpint(g_unlink(cache), ==, 0);
    g_auto(LoCommand) missing = {0};
    g_assert_false(lo_command_build(&in, &missing, &error));
    g_assert_nonnull(strstr(error->message, "dynamic_cast cache"));
    g_assert_nonnull(strstr(error->message, "--keep-dynamic-cast"));
}

static void test_missing_guest_folder(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *vk = g_build_filename(f->guestlibs, "vulkan", NULL);
    g_assert_cmpint(g_rmdir(vk), ==, 0);
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *environ[] = {NULL};
    LoCommandInput in = {.qemu = "/q/qemu",
                         .plugin = "/p/p.so",
                         .preload = "/p/l.so",
                         .guestlibs = f->guestlibs,
                         .game = "/g",
                         .settings = s,
                         .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_false(lo_command_build(&in, &cmd, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "guest libraries for vulkan not found"));
    g_assert_nonnull(strstr(error->message, "--no-thunk vulkan"));
}

static void test_paths_qemu_cannot_carry(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *environ[] = {NULL};
    LoCommandInput in = {.qemu = "/q/qemu",
                         .plugin = "/p/p.so",
                         .preload = "/p/with space.so",
                         .guestlibs = f->guestlibs,
                         .game = "/g",
                         .settings = s,
                         .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_false(lo_command_build(&in, &cmd, &error));
    g_assert_nonnull(strstr(error->message, "LD_PRELOAD cannot carry"));
    g_autofree char *comma = g_build_filename(f->root, "a,b", NULL);
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_autofree char *d = g_build_filename(comma, lo_thunk_names[i], NULL);
        g_mkdir_with_parents(d, 0755);
    }
    LoCommandInput in2 = {.qemu = "/q/qemu",
                          .plugin = "/p/p.so",
                          .preload = "/p/l.so",
                          .guestlibs = comma,
                          .game = "/g",
                          .settings = s,
                          .environ = environ};
    g_auto(LoCommand) cmd2 = {0};
    g_clear_error(&error);
    g_assert_false(lo_command_build(&in2, &cmd2, &error));
    g_assert_nonnull(strstr(error->message, "contains ',', ':' or ';'"));
}

/* The guest's loader splits LD_LIBRARY_PATH at ':' and ';' and reads an
 * empty or relative entry against the game's working folder: a guest
 * library folder with ';' in its path, or a relative one, would make the
 * game load libraries from wherever it runs. */
static void test_guest_library_path_is_never_relative(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *environ[] = {NULL};
    g_autofree char *cwd = g_get_current_dir();
    g_assert_cmpint(g_chdir(f->root), ==, 0);
    g_autofree char *semi = g_build_filename(f->root, "x;lib", NULL);
    g_autofree char *rel = g_strdup("relative/guest");
    const char *bad[] = {semi, rel, ""};
    for (gsize k = 0; k < G_N_ELEMENTS(bad); k++) {
        for (int i = 0; i < LO_N_THUNKS && bad[k][0] != '\0'; i++) {
            g_autofree char *d = g_build_filename(bad[k], lo_thunk_names[i], NULL);
            g_mkdir_with_parents(d, 0755);
        }
        LoCommandInput in = {.qemu = "/q/qemu",
                             .plugin = "/p/p.so",
                             .preload = "/p/l.so",
                             .guestlibs = bad[k],
                             .game = "/g",
                             .settings = s,
                             .environ = environ};
        g_auto(LoCommand) cmd = {0};
        g_autoptr(GError) error = NULL;
        gboolean ok = lo_command_build(&in, &cmd, &error);
        if (ok) {
            g_autofree char *line = joined(cmd.argv);
            g_error("accepted guest libraries at '%s': %s", bad[k], line);
        }
        g_test_message("%s", error->message);
    }
    g_assert_cmpint(g_chdir(cwd), ==, 0);
}

/* With GL or Vulkan emulated the guest's Mesa JITs with LLVM, which takes
 * QEMU's "max" for a 32-bit Athlon and aborts: the default model differs. */
static void test_cpu_for_emulated_drivers(void)
{
    const struct {
        const char *profile, *cpu;
    } cases[] = {
        {"{}", "max"},
        {"{\"thunks\": {\"sdl2\": false}}", "max"},
        {"{\"thunks\": {\"gl\": false}}", "Haswell-noTSX"},
        {"{\"thunks\": {\"vulkan\": false}}", "Haswell-noTSX"},
        {"{\"thunks\": {\"gl\": false}, \"qemu\": {\"cpu\": \"EPYC\"}}", "EPYC"},
        {"{\"thunks\": {\"gl\": false}, \"qemu\": {\"cpu\": \"max\"}}", "max"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(LoRunSettings) s = settings(cases[i].profile);
        g_assert_cmpstr(s->cpu, ==, cases[i].cpu);
    }
    g_assert_true(lo_cpu_breaks_emulated_drivers("max"));
    g_assert_false(lo_cpu_breaks_emulated_drivers(LO_EMULATED_DRIVERS_CPU));
}

/* run --keep-rep-strings: the model exactly as named, for comparisons. */
static void test_keep_rep_strings(void)
{
    g_autoptr(LoRunSettings) s =
        settings("{\"thunks\": {\"sdl2\": false, \"gl\": false, \"vulkan\": false, "
                 "\"openal\": false, \"zlib\": false, \"vorbisfile\": false}, "
                 "\"qemu\": {\"cpu\": \"Haswell\"}}");
    s->keep_rep_strings = TRUE;
    const char *environ[] = {NULL};
    LoCommandInput in = {.qemu = "/q/qemu", .game = "/g/game", .settings = s, .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_assert_cmpstr(g_ptr_array_index(cmd.argv, 1), ==, "-cpu");
    g_assert_cmpstr(g_ptr_array_index(cmd.argv, 2), ==, "Haswell");
}

static void test_quoting(void)
{
    const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"/a/b-c_d.e:f,g=h@i%j+k", "/a/b-c_d.e:f,g=h@i%j+k"},
        {"", "''"},
        {"a b", "'a b'"},
        {"$(rm -rf ~)", "'$(rm -rf ~)'"},
        {"it's", "'it'\\''s'"},
        {"*", "'*'"},
        /* Control characters are spelled out, never printed raw. */
        {"new\nline", "$'new\\x0aline'"},
        {"game\x1b]2;x\x07", "$'game\\x1b]2;x\\x07'"},
        {"c1\xc2\x9b'q'\\", "$'c1\\xc2\\x9b\\'q\\'\\\\'"},
        {"bad\xff", "$'bad\\xff'"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *q = lo_shell_quote(cases[i].in);
        g_assert_cmpstr(q, ==, cases[i].out);
        /* What the shell makes of it is the original again. */
        g_autofree char *script = g_strdup_printf("printf %%s %s", q);
        const char *argv[] = {"bash", "-c", script, NULL};
        g_autofree char *back = NULL;
        int status = -1;
        g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                   &back, NULL, &status, NULL));
        g_assert_cmpint(status, ==, 0);
        g_assert_cmpstr(back, ==, cases[i].in);
    }
    g_autofree char *e = lo_qemu_opt_escape("/a,b,,c");
    g_assert_cmpstr(e, ==, "/a,,b,,,,c");
}

/* transport.NAME = "syscall" reaches the plugin as transport.NAME=syscall,
 * for the libraries forwarded at all; "inline" is the plugin's default. */
static void test_transport(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s =
        settings("{\"thunks\": {\"vulkan\": false}, \"transport\": {\"sdl2\": \"inline\", \"gl\": "
                 "\"syscall\", \"vulkan\": \"syscall\"}}");
    const char *args[] = {NULL};
    const char *environ[] = {NULL};
    LoCommandInput in = {.qemu = "/q/qemu",
                         .plugin = "/p/plugin.so",
                         .preload = "/p/preload.so",
                         .guestlibs = f->guestlibs,
                         .game = "./game",
                         .game_args = args,
                         .settings = s,
                         .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_assert_nonnull(strstr(
        line, " -plugin /p/plugin.so,lib=sdl2,lib=gl,transport.gl=syscall,lib=openal,lib=zlib,"
              "lib=vorbisfile "));
    g_assert_null(strstr(line, "transport.vulkan"));
}

/* The game's glibc is steered off its SSE4.2 string functions
 * (guest-tunables.h): the tunable is added to the user's GLIBC_TUNABLES,
 * never replaces a glibc.cpu.hwcaps the user set, and is left out when QEMU's
 * -E could not carry the result (a ',') or with --keep-sse42-strings. */
static void test_guest_glibc_tunables(void)
{
    g_autofree char *none = lo_guest_glibc_tunables(NULL);
    g_assert_cmpstr(none, ==, "glibc.cpu.hwcaps=-SSE4_2");
    g_autofree char *empty = lo_guest_glibc_tunables("");
    g_assert_cmpstr(empty, ==, "glibc.cpu.hwcaps=-SSE4_2");
    g_autofree char *other = lo_guest_glibc_tunables("glibc.malloc.check=3");
    g_assert_cmpstr(other, ==, "glibc.malloc.check=3:glibc.cpu.hwcaps=-SSE4_2");
    g_assert_null(lo_guest_glibc_tunables("glibc.malloc.check=3:glibc.cpu.hwcaps=-AVX2"));
    g_assert_null(lo_guest_glibc_tunables("glibc.cpu.hwcaps=-AVX2,-MOVBE"));
    g_assert_null(lo_guest_glibc_tunables("glibc.cpu.x86_shstk=on,off"));
    /* A name that only starts like it is another tunable. */
    g_autofree char *lookalike = lo_guest_glibc_tunables("glibc.cpu.hwcaps_mask=1");
    g_assert_cmpstr(lookalike, ==, "glibc.cpu.hwcaps_mask=1:glibc.cpu.hwcaps=-SSE4_2");
}

static char *tunables_in(const char *const *environ, gboolean keep)
{
    g_autoptr(LoRunSettings) s =
        settings("{\"thunks\": {\"sdl2\": false, \"gl\": false, \"vulkan\": false, "
                 "\"openal\": false, \"zlib\": false, \"vorbisfile\": false}}");
    s->keep_sse42_strings = keep;
    LoCommandInput in = {.qemu = "/q/qemu", .game = "/g/game", .settings = s, .environ = environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    char *found = NULL;
    for (guint i = 0; i + 1 < cmd.argv->len && cmd.argv->pdata[i + 1] != NULL; i++) {
        const char *value = cmd.argv->pdata[i + 1];
        if (strcmp(cmd.argv->pdata[i], "-E") == 0 && g_str_has_prefix(value, "GLIBC_TUNABLES=")) {
            g_assert_null(found); /* once */
            found = g_strdup(value + strlen("GLIBC_TUNABLES="));
        }
    }
    return found;
}

static void test_guest_glibc_tunables_on_cmdline(void)
{
    const char *plain[] = {"PATH=/bin", NULL};
    g_autofree char *added = tunables_in(plain, FALSE);
    g_assert_cmpstr(added, ==, "glibc.cpu.hwcaps=-SSE4_2");
    g_autofree char *kept = tunables_in(plain, TRUE);
    g_assert_null(kept);
    const char *users[] = {"GLIBC_TUNABLES=glibc.malloc.check=3", NULL};
    g_autofree char *merged = tunables_in(users, FALSE);
    g_assert_cmpstr(merged, ==, "glibc.malloc.check=3:glibc.cpu.hwcaps=-SSE4_2");
    const char *own_hwcaps[] = {"GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2", NULL};
    g_autofree char *left = tunables_in(own_hwcaps, FALSE);
    g_assert_null(left); /* QEMU passes the user's value on as it is */
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
    ADD("/cmdline/defaults", test_defaults);
    ADD("/cmdline/everything", test_everything);
    ADD("/cmdline/plugin-verbose", test_plugin_verbose);
    ADD("/cmdline/profile-plugin", test_profile_plugin);
    ADD("/cmdline/no-thunks-is-plain-qemu", test_no_thunks_is_plain_qemu);
    g_test_add("/cmdline/zlib-off", Fixture, &zlib_off, setup, test_thunk_off, teardown);
    g_test_add("/cmdline/vorbisfile-off", Fixture, &vorbisfile_off, setup, test_thunk_off,
               teardown);
    ADD("/cmdline/missing-guest-folder", test_missing_guest_folder);
    ADD("/cmdline/castcache", test_castcache);
    ADD("/cmdline/paths-qemu-cannot-carry", test_paths_qemu_cannot_carry);
    ADD("/cmdline/transport", test_transport);
    ADD("/cmdline/guest-library-path-is-never-relative", test_guest_library_path_is_never_relative);
    g_test_add_func("/cmdline/quoting", test_quoting);
    g_test_add_func("/cmdline/cpu-for-emulated-drivers", test_cpu_for_emulated_drivers);
    g_test_add_func("/cmdline/keep-rep-strings", test_keep_rep_strings);
    g_test_add_func("/cmdline/guest-glibc-tunables", test_guest_glibc_tunables);
    g_test_add_func("/cmdline/guest-glibc-tunables-on-cmdline",
                    test_guest_glibc_tunables_on_cmdline);
    return g_test_run();
}
