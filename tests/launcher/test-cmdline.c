/* The QEMU command line and environment (qemu-cmdline.c) and the quoting
 * used to print it. */
#include "errors.h"
#include "qemu-cmdline.h"
#include "testutil.h"
#include "util.h"

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

static void test_defaults(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *args[] = {"--level", "2", NULL};
    const char *environ[] = {"PATH=/bin", "LD_PRELOAD=user.so", "HOME=/h", NULL};
    LoCommandInput in = {
        "/q/qemu-x86_64", "/p/plugin.so", "/p/preload.so", f->guestlibs, NULL, "./game", args, s,
        environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_autofree char *expected = g_strdup_printf(
        "/q/qemu-x86_64 -cpu max -plugin /p/plugin.so,lib=sdl2,lib=gl,lib=vulkan -E "
        "LD_LIBRARY_PATH=%s/sdl2:%s/gl:%s/vulkan -E SDL_DYNAMIC_API=%s/sdl2/libSDL2-2.0.so.0 "
        "-U LD_PRELOAD ./game --level 2",
        f->guestlibs, f->guestlibs, f->guestlibs, f->guestlibs);
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
    const char *environ[] = {
        "QEMU_CPU=486",         "QEMU_LD_PREFIX=/x",      "QEMU_SET_ENV=A=1",
        "QEMU_UNSET_ENV=PATH",  "QEMU_GUEST_BASE=0x1000", "QEMU_RESERVED_VA=1G",
        "QEMU_PLUGIN=/evil.so", "QEMU_STACK_SIZE=1",      "QEMU_ARGV0=x",
        "QEMU_STRACE=1",        "SDL_AUDIODRIVER=alsa",   NULL};
    LoCommandInput in = {"/q/qemu",    "/p/a,b.so", "/p/preload.so",
                         f->guestlibs, "/s/root",   "-weird-name",
                         args,         s,           environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_autofree char *expected = g_strdup_printf(
        "/q/qemu -L /s/root -cpu Haswell -s 16M -strace -one-insn-per-tb -d unimp,guest_errors "
        "-plugin /p/a,,b.so,lib=sdl2,lib=vulkan -E LD_LIBRARY_PATH=%s/sdl2:%s/vulkan "
        "-E SDL_DYNAMIC_API=%s/sdl2/libSDL2-2.0.so.0 "
        "-E SDL_AUDIODRIVER=disk -E vblank_mode=0 -U LD_PRELOAD ./-weird-name -p 'a b' '$HOME' "
        "'it'\\''s'",
        f->guestlibs, f->guestlibs, f->guestlibs);
    g_assert_cmpstr(line, ==, expected);
    for (const char *const *v = lo_stripped_qemu_vars; *v != NULL; v++) {
        g_assert_false(env_has_key(&cmd, *v));
    }
    g_assert_cmpuint(cmd.env_unset->len, ==, 9);
    /* Debugging variables the user set on purpose stay. */
    g_assert_true(env_has(&cmd, "QEMU_STRACE=1"));
    /* The profile's variables reach QEMU's host environment too (the host
     * libraries read them there), overriding the user's. */
    g_assert_true(env_has(&cmd, "SDL_AUDIODRIVER=disk"));
    g_assert_true(env_has(&cmd, "vblank_mode=0"));
}

static void test_no_thunks_is_plain_qemu(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(LoRunSettings) s =
        settings("{\"thunks\": {\"sdl2\": false, \"gl\": false, \"vulkan\": false}}");
    const char *environ[] = {"LD_PRELOAD=user.so", NULL};
    LoCommandInput in = {"/q/qemu", NULL, NULL, NULL, NULL, "/g/game", NULL, s, environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_assert_cmpstr(line, ==, "/q/qemu -cpu max -U LD_LIBRARY_PATH -U LD_PRELOAD /g/game");
    g_assert_true(env_has(&cmd, "LD_PRELOAD=user.so"));
    (void)f;
}

static void test_missing_guest_folder(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *vk = g_build_filename(f->guestlibs, "vulkan", NULL);
    g_assert_cmpint(g_rmdir(vk), ==, 0);
    g_autoptr(LoRunSettings) s = settings("{}");
    const char *environ[] = {NULL};
    LoCommandInput in = {"/q/qemu", "/p/p.so", "/p/l.so", f->guestlibs, NULL,
                         "/g",      NULL,      s,         environ};
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
    LoCommandInput in = {"/q/qemu", "/p/p.so", "/p/with space.so", f->guestlibs, NULL, "/g", NULL,
                         s,         environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_false(lo_command_build(&in, &cmd, &error));
    g_assert_nonnull(strstr(error->message, "LD_PRELOAD cannot carry"));
    g_autofree char *comma = g_build_filename(f->root, "a,b", NULL);
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_autofree char *d = g_build_filename(comma, lo_thunk_names[i], NULL);
        g_mkdir_with_parents(d, 0755);
    }
    LoCommandInput in2 = {"/q/qemu", "/p/p.so", "/p/l.so", comma, NULL, "/g", NULL, s, environ};
    g_auto(LoCommand) cmd2 = {0};
    g_clear_error(&error);
    g_assert_false(lo_command_build(&in2, &cmd2, &error));
    g_assert_nonnull(strstr(error->message, "contains ',' or ':'"));
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
        {"new\nline", "'new\nline'"},
        {"*", "'*'"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *q = lo_shell_quote(cases[i].in);
        g_assert_cmpstr(q, ==, cases[i].out);
        /* What the shell makes of it is the original again. */
        g_autofree char *back = g_shell_unquote(q, NULL);
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
    LoCommandInput in = {
        "/q/qemu", "/p/plugin.so", "/p/preload.so", f->guestlibs, NULL, "./game", args, s, environ};
    g_auto(LoCommand) cmd = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_command_build(&in, &cmd, &error));
    g_autofree char *line = joined(cmd.argv);
    g_assert_nonnull(strstr(line, " -plugin /p/plugin.so,lib=sdl2,lib=gl,transport.gl=syscall "));
    g_assert_null(strstr(line, "transport.vulkan"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
    ADD("/cmdline/defaults", test_defaults);
    ADD("/cmdline/everything", test_everything);
    ADD("/cmdline/no-thunks-is-plain-qemu", test_no_thunks_is_plain_qemu);
    ADD("/cmdline/missing-guest-folder", test_missing_guest_folder);
    ADD("/cmdline/paths-qemu-cannot-carry", test_paths_qemu_cannot_carry);
    ADD("/cmdline/transport", test_transport);
    g_test_add_func("/cmdline/quoting", test_quoting);
    return g_test_run();
}
