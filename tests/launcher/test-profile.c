/* Profile validation (profile-validate.c, profile-rules.c): each rule both
 * ways, and the messages naming the key at fault. */
#include "profile-rules.h"
#include "profile-validate.h"
#include "testutil.h"

#include <string.h>

static GPtrArray *problems_of(const char *text)
{
    GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(cJSON) doc = lo_profile_parse(text, strlen(text), problems);
    g_assert_true((doc == NULL) == (problems->len > 0));
    return problems;
}

static void expect_ok(const char *text)
{
    g_autoptr(GPtrArray) p = problems_of(text);
    test_dump_problems(p);
    g_assert_cmpuint(p->len, ==, 0);
}

static void expect_problem(const char *text, const char *needle)
{
    g_autoptr(GPtrArray) p = problems_of(text);
    test_dump_problems(p);
    if (!test_has_problem(p, needle)) {
        g_error("no problem mentions '%s' for %s", needle, text);
    }
}

static void test_minimal_and_full(void)
{
    expect_ok("{\"schema\": 1, \"id\": \"x\"}");
    expect_ok(
        "{\"$comment\": \"hi\", \"schema\": 1, \"id\": \"my-game_2.0\", \"name\": \"My Game\","
        " \"match\": {\"$comment\": \"c\", \"exe\": [\"game.x86_64\", \"Game Launcher\"],"
        "  \"sha256\": [\""
        "0a286de534b54d48b8ba73798a7b5bfa45717f09e6da0983f4dfca5a1f23c1e4"
        "\"]},"
        " \"thunks\": {\"sdl2\": true, \"gl\": false, \"vulkan\": true},"
        " \"env\": {\"SDL_VIDEODRIVER\": \"x11\", \"vblank_mode\": \"0\", "
        "\"MESA_GL_VERSION_OVERRIDE\": \"4.5COMPAT\","
        "  \"__GL_SYNC_TO_VBLANK\": \"0\", \"GALLIUM_DRIVER\": \"llvmpipe\", \"LP_NUM_THREADS\": "
        "\"4\"},"
        " \"qemu\": {\"cpu\": \"Haswell-noTSX-IBRS-v4\", \"stack_size\": \"16M\", \"strace\": "
        "false,"
        "  \"one_insn_per_tb\": false, \"log\": [\"unimp\", \"guest_errors\"]},"
        " \"args\": [\"--windowed\", \"\", \"a b\"], \"sysroot\": \"Debian-12\", \"status\": "
        "\"playable\","
        " \"tested_on\": [{\"date\": \"2026-02-28\", \"host_arch\": \"aarch64\", "
        "\"lorelei_version\": \"0.1.0\","
        "  \"result\": \"runs\", \"notes\": \"line 1\\nline 2\\tok\"}],"
        " \"notes\": \"Intro\\n\\nMore.\"}");
}

static void test_structure(void)
{
    expect_problem("[]", "profile: must be a JSON object");
    expect_problem("{\"id\": \"x\"}", "'schema' is required");
    expect_problem("{\"schema\": 1}", "'id' is required");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"nmae\": \"y\"}",
                   "unknown key 'nmae' (did you mean 'name'?)");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"match\": {\"sha\": []}}",
                   "match: unknown key 'sha'");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"thunks\": {\"sdl3\": true}}",
                   "did you mean 'sdl2'");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"thunks\": {\"gl\": 1}}",
                   "thunks.gl: must be true or false");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"args\": \"-x\"}",
                   "args: must be a list, not a string");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"a\\u001b\": 1}",
                   "unknown key with a control character (allowed: $comment, schema, id");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"status\": \"runs\\u001b\"}",
                   "status: must be one of: playable, runs, broken");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"env\": {\"SDL_\\u001b\": \"1\"}}",
                   "env: a variable name contains the control character U+001B");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"env\": {\"SDL_VIDEODRIVER\": \"a/b\"}}",
                   "env.SDL_VIDEODRIVER: value refused: contains '/'");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"extra\": \"-B 0\"}}",
                   "qemu: unknown key 'extra'");
}

static void test_schema_version(void)
{
    expect_problem("{\"schema\": 2, \"id\": \"x\"}", "schema 2 is newer than this qemu-lorelei");
    expect_problem("{\"schema\": \"1\", \"id\": \"x\"}",
                   "schema: must be the number 1, not a string");
    expect_problem("{\"schema\": 0, \"id\": \"x\"}", "schema: must be 1");
    expect_problem("{\"schema\": true, \"id\": \"x\"}", "not a boolean");
    expect_ok("{\"schema\": 1.0, \"id\": \"x\"}");
}

static void test_ids_names_and_text(void)
{
    expect_problem("{\"schema\": 1, \"id\": \"Upper\"}", "id: 'Upper' is not an id");
    expect_problem("{\"schema\": 1, \"id\": \"-x\"}", "is not an id");
    expect_problem("{\"schema\": 1, \"id\": \"a/b\"}", "is not an id");
    expect_problem("{\"schema\": 1, \"id\": \""
                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                   "\"}",
                   "the limit is 64");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"name\": \"\"}", "name: must not be empty");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"name\": \"a\\u001b[31mred\"}",
                   "name: contains the control character U+001B");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"name\": \"a\\u009bb\"}", "U+009B");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"name\": \"two\\nlines\"}", "U+000A");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"notes\": \"bell\\u0007\"}",
                   "(only tab and newline are allowed)");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"notes\": \"cr\\r\"}", "U+000D");
    /* Lengths count characters, not bytes (as JSON Schema's maxLength does). */
    GString *name = g_string_new("{\"schema\": 1, \"id\": \"x\", \"name\": \"");
    for (int i = 0; i < LO_MAX_NAME_CHARS; i++) {
        g_string_append(name, "\xc3\xa9");
    }
    g_string_append(name, "\"}");
    expect_ok(name->str);
    g_string_insert(name, name->len - 2, "e");
    expect_problem(name->str, "name: is 129 characters long; the limit is 128");
    g_string_free(name, TRUE);
}

static void test_match(void)
{
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"match\": {\"exe\": [\"bin/game\"]}}",
                   "match.exe[0]: 'bin/game' is not a file name");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"match\": {\"exe\": [\"a\", \"a\"]}}",
                   "match.exe[1]: repeats an earlier entry");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"match\": {\"sha256\": [\"ABC\"]}}",
                   "match.sha256[0]: 'ABC' is not a sha256");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"match\": {\"sha256\": [\""
                   "0A286DE534B54D48B8BA73798A7B5BFA45717F09E6DA0983F4DFCA5A1F23C1E4"
                   "\"]}}",
                   "is not a sha256");
}

static void test_env_allow_list(void)
{
    const struct {
        const char *key, *value, *needle;
    } cases[] = {
        {"LD_PRELOAD", "x.so", "LD_* variables are never allowed"},
        {"LD_LIBRARY_PATH", "lib", "LD_* variables are never allowed"},
        {"QEMU_LD_PREFIX", "x", "QEMU_* variables are never allowed"},
        {"HOME", "x", "not on the allow-list"},
        {"sdl_videodriver", "x", "not on the allow-list"},
        {"SDL_VIDEO_GL_DRIVER", "libGL.so", "not on the allow-list"},
        {"SDL_DYNAMIC_API", "libSDL2.so", "not on the allow-list"},
        {"LIBGL_DRIVERS_PATH", ".", "not on the allow-list"},
        {"MESA_SHADER_CACHE_DIR", "cache", "not on the allow-list"},
        {"SDL_VULKAN_LIBRARY", "libvulkan.so.1", "not on the allow-list"},
        {"SDL_GAMECONTROLLERCONFIG_FILE", "db.txt", "not on the allow-list"},
        {"SDL_VIDEODRIVER", "/tmp/x", "contains '/'"},
        {"SDL_VIDEODRIVER", "x11,wayland", "contains ','"},
        {"SDL_VIDEODRIVER", "x11\\u001b", "contains a control character"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            g_strdup_printf("{\"schema\": 1, \"id\": \"x\", \"env\": {\"%s\": \"%s\"}}",
                            cases[i].key, cases[i].value);
        expect_problem(text, cases[i].needle);
        g_autofree char *where = g_strdup_printf("env.%s:", cases[i].key);
        expect_problem(text, where);
    }
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"env\": {\"vblank_mode\": 1}}",
                   "env.vblank_mode: must be a string");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"env\": {\"vblank_mode\": \"9\"}}",
                   "env.vblank_mode: value '9' refused: vblank_mode takes 0, 1, 2 or 3");
    GString *many = g_string_new("{\"schema\": 1, \"id\": \"x\", \"env\": {");
    for (int i = 0; i <= LO_MAX_ENV; i++) {
        /* More names than the allow-list has, so some are refused too. */
        g_string_append_printf(many, "%s\"SDL_V%d\": \"1\"", i ? ", " : "", i);
    }
    g_string_append(many, "}}");
    expect_problem(many->str, "env: sets 65 variables; the limit is 64");
    g_string_free(many, TRUE);
    g_autofree char *long_value = g_strnfill(LO_MAX_ENV_VALUE_CHARS + 1, 'a');
    g_autofree char *text =
        g_strdup_printf("{\"schema\": 1, \"id\": \"x\", \"env\": {\"MESA_EXTENSION_OVERRIDE\": "
                        "\"%s\"}}",
                        long_value);
    expect_problem(text, "longer than 1024 characters");
}

/* Variables whose value a program opens as a file relative to the game's
 * working folder: the suffix deny-list let all of these through, and
 * GALLIUM_TRACE=.bashrc overwrote ~/.bashrc with a GL trace. */
static void test_env_refuses_file_writers(void)
{
    const struct {
        const char *key, *value;
    } cases[] = {
        {"GALLIUM_TRACE", ".bashrc"},       {"SDL_PATH_DSP", ".bashrc"},
        {"SDL_DISKAUDIOFILEIN", ".bashrc"}, {"SDL_AUDIODRIVER", "disk"},
        {"SDL_AUDIODRIVER", "dsp"},         {"GALLIUM_HUD_DUMP_DIR", "."},
        {"MESA_LOG_FILE", ".bashrc"},       {"RADV_DEBUG", "hang"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *text =
            g_strdup_printf("{\"schema\": 1, \"id\": \"x\", \"env\": {\"%s\": \"%s\"}}",
                            cases[i].key, cases[i].value);
        g_autofree char *where = g_strdup_printf("env.%s:", cases[i].key);
        expect_problem(text, where);
    }
}

static void test_rules_directly(void)
{
    g_assert_null(lo_env_key_refusal("SDL_AUDIODRIVER"));
    g_assert_null(lo_env_key_refusal("vblank_mode"));
    g_assert_null(lo_env_key_refusal("MESA_LOADER_DRIVER_OVERRIDE"));
    g_assert_nonnull(lo_env_key_refusal("SDL_"));
    g_assert_nonnull(lo_env_key_refusal("vblank_mode2"));
    g_assert_nonnull(lo_env_key_refusal("XSDL_A"));
    g_assert_nonnull(lo_env_key_refusal("SDL_A\nLD_PRELOAD"));
    g_assert_null(lo_env_value_refusal(""));
    g_assert_null(lo_env_value_refusal("4.5COMPAT +GL_ARB_x -GL_y=z"));
    g_assert_nonnull(lo_env_key_refusal("GALLIUM_TRACE"));
    g_assert_nonnull(lo_env_key_refusal("SDL_X"));
    g_assert_true(lo_env_value_allowed(lo_env_rule("SDL_AUDIODRIVER"), "pipewire"));
    g_assert_false(lo_env_value_allowed(lo_env_rule("SDL_AUDIODRIVER"), "disk"));
    g_assert_false(lo_env_value_allowed(lo_env_rule("SDL_AUDIODRIVER"), "pipewire\n"));
    g_assert_true(lo_env_value_allowed(lo_env_rule("MESA_GL_VERSION_OVERRIDE"), "4.5COMPAT"));
    g_assert_false(lo_env_value_allowed(lo_env_rule("MESA_GL_VERSION_OVERRIDE"), "4.5,x"));
    g_assert_false(lo_env_value_allowed(lo_env_rule("MESA_LOADER_DRIVER_OVERRIDE"), "../x"));
    /* Every rule's pattern compiles and refuses what no value may hold. */
    for (const LoEnvRule *r = lo_env_rules; r->name != NULL; r++) {
        g_assert_null(lo_env_key_refusal(r->name));
        g_assert_false(lo_env_value_allowed(r, "a/b"));
        g_assert_false(lo_env_value_allowed(r, "a,b"));
        g_assert_nonnull(r->why);
        g_assert_nonnull(r->values);
    }
    g_assert_true(lo_pattern_match(LO_PAT_CPU, "max"));
    g_assert_true(lo_pattern_match(LO_PAT_CPU, "EPYC-Rome-v4"));
    g_assert_true(lo_pattern_match(LO_PAT_CPU, "Skylake-Client-noTSX-IBRS"));
    g_assert_false(lo_pattern_match(LO_PAT_CPU, "host"));
    g_assert_false(lo_pattern_match(LO_PAT_CPU, "Haswell,+avx512f"));
    g_assert_false(lo_pattern_match(LO_PAT_CPU, "486"));
    g_assert_false(lo_pattern_match(LO_PAT_CPU, "max\n"));
    g_assert_false(lo_pattern_match(LO_PAT_ID, "x\n"));
    g_assert_cmpint(lo_thunk_from_name("vulkan"), ==, LO_THUNK_VULKAN);
    g_assert_cmpint(lo_thunk_from_name("sdl"), ==, -1);
}

static void test_qemu_args_sysroot_status(void)
{
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"cpu\": \"host\"}}",
                   "qemu.cpu: 'host' is not an allowed x86_64 CPU model");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"cpu\": \"max,-sse2\"}}",
                   "not an allowed x86_64 CPU model");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"stack_size\": \"8G\"}}",
                   "qemu.stack_size: '8G' is not a stack size");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"stack_size\": \"0\"}}",
                   "is not a stack size");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"log\": [\"exec\"]}}",
                   "qemu.log[0]: 'exec' is not one of");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"log\": [\"unimp\", \"unimp\"]}}",
                   "repeats an earlier entry");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"qemu\": {\"strace\": \"yes\"}}",
                   "qemu.strace: must be true or false");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"args\": [\"a\\nb\"]}",
                   "args[0]: contains the control character");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"args\": [1]}", "args[0]: must be a string");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"sysroot\": \"../etc\"}",
                   "sysroot: '../etc' is not a sysroot name");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"sysroot\": \"/srv/root\"}",
                   "is not a sysroot name");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"status\": \"works\"}",
                   "status: 'works' is not one of: playable, runs, broken");
    expect_problem(
        "{\"schema\": 1, \"id\": \"x\", \"tested_on\": [{\"date\": \"2026-13-01\", \"host_arch\": "
        "\"aarch64\", \"lorelei_version\": \"0.1.0\", \"result\": \"runs\"}]}",
        "tested_on[0].date: '2026-13-01' is not a date");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"tested_on\": [{\"date\": \"2026-01-01\", "
                   "\"result\": \"runs\"}]}",
                   "tested_on[0]: 'host_arch' is required");
    expect_problem(
        "{\"schema\": 1, \"id\": \"x\", \"tested_on\": [{\"date\": \"2026-01-01\", \"host_arch\": "
        "\"aarch64\", \"lorelei_version\": \"v1\", \"result\": \"runs\", \"by\": \"me\"}]}",
        "unknown key 'by'");
}

/* thunks and transport take every thunk name (lo_thunk_names) and no other:
 * docs/profiles.md documents transport.openal and the rest. */
static void test_thunks_and_transport_names(void)
{
    for (int i = 0; i < LO_N_THUNKS; i++) {
        g_autofree char *thunks = g_strdup_printf(
            "{\"schema\": 1, \"id\": \"x\", \"thunks\": {\"%s\": false}}", lo_thunk_names[i]);
        expect_ok(thunks);
        g_autofree char *transport = g_strdup_printf(
            "{\"schema\": 1, \"id\": \"x\", \"transport\": {\"$comment\": \"c\", \"%s\": "
            "\"syscall\"}}",
            lo_thunk_names[i]);
        expect_ok(transport);
    }
    expect_ok("{\"schema\": 1, \"id\": \"x\", \"transport\": {\"openal\": \"syscall\", "
              "\"zlib\": \"inline\", \"vorbisfile\": \"syscall\"}}");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"transport\": {\"openal2\": \"syscall\"}}",
                   "transport: unknown key 'openal2' (did you mean 'openal'?)");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"transport\": {\"glide\": \"syscall\"}}",
                   "allowed: $comment, sdl2, gl, vulkan, openal, zlib, vorbisfile");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"thunks\": {\"glide\": false}}",
                   "allowed: $comment, sdl2, gl, vulkan, openal, zlib, vorbisfile");
    expect_problem("{\"schema\": 1, \"id\": \"x\", \"transport\": {\"zlib\": \"fast\"}}",
                   "transport.zlib");
}

static void test_size_limit(void)
{
    GString *big = g_string_new("{\"schema\": 1, \"id\": \"x\", \"notes\": \"");
    while (big->len <= LO_PROFILE_MAX_BYTES) {
        g_string_append(big, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    }
    g_string_append(big, "\"}");
    expect_problem(big->str, "the limit is 65536");
    g_string_free(big, TRUE);
}

static void test_load_file_error_lists_problems(void)
{
    char *dir = test_tmpdir();
    g_autofree char *path =
        test_write(dir, "bad.json",
                   "{\"schema\": 1, \"id\": \"x\", \"env\": {\"LD_PRELOAD\": \"a\"}, \"foo\": 1}");
    g_autoptr(GError) error = NULL;
    g_autoptr(cJSON) doc = lo_profile_load_file(path, &error);
    g_assert_null(doc);
    g_assert_nonnull(strstr(error->message, "bad.json is not a valid profile"));
    g_assert_nonnull(strstr(error->message, "\n  profile: unknown key 'foo'"));
    g_assert_nonnull(strstr(error->message, "\n  env.LD_PRELOAD: this variable may not be set"));
    test_tmpdir_free(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/profile/minimal-and-full", test_minimal_and_full);
    g_test_add_func("/profile/structure", test_structure);
    g_test_add_func("/profile/schema-version", test_schema_version);
    g_test_add_func("/profile/ids-names-and-text", test_ids_names_and_text);
    g_test_add_func("/profile/match", test_match);
    g_test_add_func("/profile/env-allow-list", test_env_allow_list);
    g_test_add_func("/profile/env-refuses-file-writers", test_env_refuses_file_writers);
    g_test_add_func("/profile/rules-directly", test_rules_directly);
    g_test_add_func("/profile/qemu-args-sysroot-status", test_qemu_args_sysroot_status);
    g_test_add_func("/profile/thunks-and-transport-names", test_thunks_and_transport_names);
    g_test_add_func("/profile/size-limit", test_size_limit);
    g_test_add_func("/profile/load-file-error-lists-problems", test_load_file_error_lists_problems);
    return g_test_run();
}
