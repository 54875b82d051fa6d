/* The pre-flight check (preflight.c) and the ELF reader under it
 * (elf-deps.c): synthetic ELF files with chosen DT_NEEDED, RPATH, RUNPATH
 * and interpreter, in a sysroot made here, resolved as the x86_64 loader
 * would; damaged files refused without reading outside them. */
#include "elf-deps.h"
#include "errors.h"
#include "preflight.h"
#include "testutil.h"

#include <elf.h>
#include <sys/stat.h>

static char *dir;

typedef struct {
    const char *interp;
    const char *const *needed;
    const char *rpath, *runpath, *soname;
    unsigned machine;
} Spec;

#define BASE 0x400000

/* An ELF file: header, PT_LOAD over the whole file, PT_INTERP, PT_DYNAMIC. */
static GByteArray *build(const Spec *s)
{
    GString *str = g_string_new(NULL);
    g_string_append_c(str, '\0');
    GArray *dyn = g_array_new(FALSE, TRUE, sizeof(Elf64_Dyn));
    const char *names[] = {s->rpath, s->runpath, s->soname};
    const Elf64_Sxword tags[] = {DT_RPATH, DT_RUNPATH, DT_SONAME};
    for (const char *const *n = s->needed; n != NULL && *n != NULL; n++) {
        Elf64_Dyn d = {.d_tag = DT_NEEDED, .d_un.d_val = str->len};
        g_string_append_len(str, *n, strlen(*n) + 1);
        g_array_append_val(dyn, d);
    }
    for (int i = 0; i < 3; i++) {
        if (names[i] != NULL) {
            Elf64_Dyn d = {.d_tag = tags[i], .d_un.d_val = str->len};
            g_string_append_len(str, names[i], strlen(names[i]) + 1);
            g_array_append_val(dyn, d);
        }
    }
    gsize interp_off = sizeof(Elf64_Ehdr) + 3 * sizeof(Elf64_Phdr);
    gsize interp_len = s->interp != NULL ? strlen(s->interp) + 1 : 0;
    gsize dyn_off = (interp_off + interp_len + 7) & ~(gsize)7;
    gsize dyn_len = (dyn->len + 3) * sizeof(Elf64_Dyn);
    gsize str_off = dyn_off + dyn_len;
    gsize total = str_off + str->len;
    Elf64_Dyn tail[3] = {{DT_STRTAB, {BASE + str_off}}, {DT_STRSZ, {str->len}}, {DT_NULL, {0}}};
    g_array_append_vals(dyn, tail, 3);

    GByteArray *out = g_byte_array_new();
    g_byte_array_set_size(out, total);
    memset(out->data, 0, total);
    Elf64_Ehdr *h = (Elf64_Ehdr *)out->data;
    memcpy(h->e_ident, ELFMAG, SELFMAG);
    h->e_ident[EI_CLASS] = ELFCLASS64;
    h->e_ident[EI_DATA] = ELFDATA2LSB;
    h->e_ident[EI_VERSION] = EV_CURRENT;
    h->e_type = ET_DYN;
    h->e_machine = s->machine ? s->machine : EM_X86_64;
    h->e_phoff = sizeof(Elf64_Ehdr);
    h->e_phentsize = sizeof(Elf64_Phdr);
    h->e_phnum = 3;
    Elf64_Phdr ph[3] = {
        {.p_type = PT_LOAD, .p_offset = 0, .p_vaddr = BASE, .p_filesz = total, .p_memsz = total},
        {.p_type = s->interp ? PT_INTERP : PT_NOTE, .p_offset = interp_off, .p_filesz = interp_len},
        {.p_type = PT_DYNAMIC, .p_offset = dyn_off, .p_vaddr = BASE + dyn_off, .p_filesz = dyn_len},
    };
    memcpy(out->data + h->e_phoff, ph, sizeof(ph));
    if (s->interp != NULL) {
        memcpy(out->data + interp_off, s->interp, interp_len);
    }
    memcpy(out->data + dyn_off, dyn->data, dyn_len);
    memcpy(out->data + str_off, str->str, str->len);
    g_array_unref(dyn);
    g_string_free(str, TRUE);
    return out;
}

static char *write_elf(const char *rel, const Spec *s)
{
    g_autoptr(GByteArray) b = build(s);
    char *path = g_build_filename(dir, rel, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, (char *)b->data, b->len, NULL));
    g_assert_cmpint(chmod(path, 0755), ==, 0);
    return path;
}

static void test_reads_dynamic(void)
{
    const char *needed[] = {"liba.so.1", "libb.so.2", NULL};
    Spec s = {"/lib64/ld-linux-x86-64.so.2", needed, "$ORIGIN/lib", "/opt/run", "libself.so.3", 0};
    g_autoptr(GByteArray) b = build(&s);
    g_auto(LoElfDeps) d = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_elf_deps_read_buffer(b->data, b->len, &d, &error));
    g_assert_no_error(error);
    g_assert_cmpint(d.kind, ==, LO_ELF_X86_64);
    g_assert_cmpstr(d.interp, ==, "/lib64/ld-linux-x86-64.so.2");
    g_assert_cmpuint(d.needed->len, ==, 2);
    g_assert_cmpstr(d.needed->pdata[0], ==, "liba.so.1");
    g_assert_cmpstr(d.needed->pdata[1], ==, "libb.so.2");
    g_assert_cmpstr(d.rpath, ==, "$ORIGIN/lib");
    g_assert_cmpstr(d.runpath, ==, "/opt/run");
    g_assert_cmpstr(d.soname, ==, "libself.so.3");

    Spec arm = {NULL, needed, NULL, NULL, NULL, EM_AARCH64};
    g_autoptr(GByteArray) a = build(&arm);
    g_auto(LoElfDeps) da = {0};
    g_assert_true(lo_elf_deps_read_buffer(a->data, a->len, &da, NULL));
    g_assert_cmpint(da.kind, ==, LO_ELF_OTHER_ARCH);
    g_assert_cmpuint(da.needed->len, ==, 0);
    g_auto(LoElfDeps) dt = {0};
    g_assert_true(lo_elf_deps_read_buffer("#!/bin/sh\n", 10, &dt, NULL));
    g_assert_cmpint(dt.kind, ==, LO_ELF_NOT_ELF);
}

static void expect_damaged(GByteArray *b, const char *needle)
{
    g_auto(LoElfDeps) d = {0};
    g_autoptr(GError) error = NULL;
    /* A copy of exactly the damaged size, so ASan sees any read past it. */
    g_autofree guint8 *copy = g_memdup2(b->data, b->len);
    g_assert_false(lo_elf_deps_read_buffer(copy, b->len, &d, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    if (strstr(error->message, needle) == NULL) {
        g_error("'%s' lacks '%s'", error->message, needle);
    }
}

static void test_refuses_damaged(void)
{
    const char *needed[] = {"liba.so.1", NULL};
    Spec s = {"/lib64/ld.so", needed, NULL, NULL, NULL, 0};
    g_autoptr(GByteArray) b = build(&s);
    Elf64_Ehdr *h = (Elf64_Ehdr *)b->data;
    Elf64_Phdr *ph = (Elf64_Phdr *)(b->data + h->e_phoff);

    g_autoptr(GByteArray) cut = g_byte_array_new();
    g_byte_array_append(cut, b->data, b->len - 4); /* the string table's end is gone */
    expect_damaged(cut, "string");

    ph[2].p_offset = G_MAXUINT64 - 8; /* dynamic section wraps around */
    expect_damaged(b, "dynamic section");
    g_clear_pointer(&b, g_byte_array_unref);

    b = build(&s);
    h = (Elf64_Ehdr *)b->data;
    h->e_phnum = 60000;
    expect_damaged(b, "program header");
    h->e_phnum = 3;
    h->e_phoff = b->len - 10;
    expect_damaged(b, "program headers lie outside");
    h->e_phoff = sizeof(Elf64_Ehdr);
    ph = (Elf64_Phdr *)(b->data + h->e_phoff);
    ph[1].p_filesz = 3; /* "/li" without its NUL */
    expect_damaged(b, "PT_INTERP");
    g_clear_pointer(&b, g_byte_array_unref);

    b = build(&s);
    ph = (Elf64_Phdr *)(b->data + sizeof(Elf64_Ehdr));
    ph[0].p_vaddr = 0x10000000; /* DT_STRTAB no longer inside a loaded segment */
    expect_damaged(b, "string table");
}

/* The loader's search: RPATH with $ORIGIN, LD_LIBRARY_PATH, ld.so.conf with
 * include, the standard folders of the sysroot; a wrong-architecture file on
 * the way is skipped; what is missing is named with who needs it. */
static void test_resolves_like_the_loader(void)
{
    g_autofree char *root = g_build_filename(dir, "sysroot", NULL);
    const char *none[] = {NULL};
    const char *interp = "/lib64/ld-lorelei-test.so.2";
    Spec ld = {NULL, none, NULL, NULL, NULL, 0};
    g_free(write_elf("sysroot/lib64/ld-lorelei-test.so.2", &ld));
    const char *a_needs[] = {"liblotest-b.so.2", "liblotest-conf.so.1", NULL};
    Spec a = {NULL, a_needs, NULL, NULL, "liblotest-a.so.1", 0};
    g_free(write_elf("sysroot/usr/lib/x86_64-linux-gnu/liblotest-a.so.1", &a));
    /* An aarch64 file of the name comes first in the search; the loader skips it. */
    Spec arm = {NULL, none, NULL, NULL, NULL, EM_AARCH64};
    g_free(write_elf("sysroot/lib/x86_64-linux-gnu/liblotest-b.so.2", &arm));
    g_free(
        test_write(dir, "sysroot/etc/ld.so.conf", "# comment\ninclude /etc/ld.so.conf.d/*.conf\n"));
    g_free(test_write(dir, "sysroot/etc/ld.so.conf.d/x.conf", "/opt/lotest/lib\n"));
    Spec conf = {NULL, none, NULL, NULL, NULL, 0};
    g_free(write_elf("sysroot/opt/lotest/lib/liblotest-conf.so.1", &conf));
    const char *c_needs[] = {"liblotest-ldpath.so.1", NULL};
    Spec c = {NULL, c_needs, NULL, NULL, NULL, 0};
    g_free(write_elf("game/lib/liblotest-c.so.1", &c));
    g_autofree char *ldpath = g_build_filename(dir, "ldpath", NULL);
    g_free(write_elf("ldpath/liblotest-ldpath.so.1", &conf));
    g_free(write_elf("game/extra/liblotest-bundled.so.1", &conf));
    const char *game_needs[] = {"liblotest-a.so.1", "liblotest-c.so.1", "liblotest-bundled.so.1",
                                "liblotest-a.so.1", NULL};
    Spec g = {interp, game_needs, "$ORIGIN/lib", NULL, NULL, 0};
    g_autofree char *game = write_elf("game/game.x86_64", &g);

    const char *libpath[] = {ldpath, NULL};
    LoPreflightInput in = {game, root, libpath};
    g_auto(LoPreflightResult) r = {0};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_preflight_check(&in, &r, &error));
    g_assert_no_error(error);
    g_assert_null(r.missing_interp);
    g_assert_false(lo_preflight_ok(&r));
    g_assert_cmpuint(r.missing->len, ==, 2);
    LoMissingLib *m0 = r.missing->pdata[0], *m1 = r.missing->pdata[1];
    g_assert_cmpstr(m0->name, ==, "liblotest-bundled.so.1");
    g_assert_nonnull(m0->in_game_dir);
    g_assert_true(g_str_has_suffix(m0->in_game_dir, "game/extra/liblotest-bundled.so.1"));
    g_assert_cmpstr(m1->name, ==, "liblotest-b.so.2");
    g_assert_cmpstr(m1->needed_by, ==, "/usr/lib/x86_64-linux-gnu/liblotest-a.so.1");
    g_assert_null(m1->in_game_dir);
    g_assert_cmpstr(r.searched->pdata[0], ==, "/opt/lotest/lib");
    /* game, a, c, the ld.so.conf one and the LD_LIBRARY_PATH one */
    g_assert_cmpuint(r.objects, ==, 5);

    g_autoptr(GError) message = NULL;
    lo_preflight_set_error(&in, &r, "testroot", &message);
    g_assert_error(message, LO_ERROR, LO_EXIT_NOT_FOUND);
    g_test_message("%s", message->message);
    g_assert_nonnull(strstr(message->message, "2 x86_64 libraries are missing"));
    g_assert_nonnull(strstr(message->message, "missing: liblotest-b.so.2 (needed by "
                                              "/usr/lib/x86_64-linux-gnu/liblotest-a.so.1)"));
    g_assert_nonnull(strstr(message->message, "in the game's folder"));
    g_assert_nonnull(strstr(message->message, "liblotest-b2"));
    g_assert_nonnull(strstr(message->message, "qemu-lorelei sysroot import testroot"));
    g_assert_nonnull(strstr(message->message, "--no-check"));

    /* The loader itself missing is named first. */
    g_autofree char *ld_path = g_build_filename(root, "lib64", "ld-lorelei-test.so.2", NULL);
    g_assert_cmpint(g_unlink(ld_path), ==, 0);
    g_auto(LoPreflightResult) r2 = {0};
    g_assert_true(lo_preflight_check(&in, &r2, NULL));
    g_assert_cmpstr(r2.missing_interp, ==, interp);
    g_autoptr(GError) m2 = NULL;
    lo_preflight_set_error(&in, &r2, "testroot", &m2);
    g_assert_nonnull(strstr(m2->message, "its x86_64 loader /lib64/ld-lorelei-test.so.2 is not"));
    g_assert_nonnull(strstr(m2->message, "libc6"));
}

/* RUNPATH turns off RPATH: the loader ignores the object's DT_RPATH then. */
static void test_runpath_hides_rpath(void)
{
    const char *none[] = {NULL};
    Spec lib = {NULL, none, NULL, NULL, NULL, 0};
    g_free(write_elf("rp/r/liblotest-r.so.1", &lib));
    const char *needs[] = {"liblotest-r.so.1", NULL};
    Spec with_rpath = {NULL, needs, "$ORIGIN/r", NULL, NULL, 0};
    Spec with_both = {NULL, needs, "$ORIGIN/r", "${ORIGIN}/nowhere", NULL, 0};
    Spec with_runpath = {NULL, needs, NULL, "${ORIGIN}/r", NULL, 0};
    const Spec *specs[] = {&with_rpath, &with_both, &with_runpath};
    const gboolean ok[] = {TRUE, FALSE, TRUE};
    for (int i = 0; i < 3; i++) {
        g_autofree char *rel = g_strdup_printf("rp/game%d", i);
        g_autofree char *game = write_elf(rel, specs[i]);
        LoPreflightInput in = {game, NULL, NULL};
        g_auto(LoPreflightResult) r = {0};
        g_assert_true(lo_preflight_check(&in, &r, NULL));
        g_assert_cmpint(lo_preflight_ok(&r), ==, ok[i]);
    }
}

/* A hostile sysroot's ld.so.conf that includes itself through a folder of
 * files each including the folder again must not make the check read
 * files without end (depth times breadth grows exponentially). */
static void test_conf_include_bomb(void)
{
    g_free(test_write(dir, "bomb/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n"));
    for (int i = 0; i < 40; i++) {
        g_autofree char *name = g_strdup_printf("bomb/etc/ld.so.conf.d/%02d.conf", i);
        g_free(test_write(dir, name, "include /etc/ld.so.conf.d/*.conf\n"));
    }
    g_autofree char *root = g_build_filename(dir, "bomb", NULL);
    const char *needs[] = {"liblotest-nowhere.so.1", NULL};
    Spec g = {NULL, needs, NULL, NULL, NULL, 0};
    g_autofree char *game = write_elf("bomb-game", &g);
    LoPreflightInput in = {game, root, NULL};
    g_auto(LoPreflightResult) r = {0};
    gint64 start = g_get_monotonic_time();
    g_assert_true(lo_preflight_check(&in, &r, NULL));
    gint64 ms = (g_get_monotonic_time() - start) / 1000;
    g_assert_cmpint(ms, <, 5000);
    g_assert_cmpuint(r.missing->len, ==, 1);
}

static void test_unreadable_game(void)
{
    g_autofree char *bad = g_build_filename(dir, "damaged", NULL);
    const char *needs[] = {"liblotest-x.so.1", NULL};
    Spec s = {NULL, needs, NULL, NULL, NULL, 0};
    g_autoptr(GByteArray) b = build(&s);
    g_assert_true(g_file_set_contents(bad, (char *)b->data, b->len - 3, NULL));
    LoPreflightInput in = {bad, NULL, NULL};
    g_auto(LoPreflightResult) r = {0};
    g_autoptr(GError) error = NULL;
    g_assert_false(lo_preflight_check(&in, &r, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
}

static void test_debian_names(void)
{
    const char *cases[][2] = {
        {"libX11.so.6", "libx11-6"},
        {"libXrandr.so.2", "libxrandr2"},
        {"libSDL2-2.0.so.0", "libsdl2-2.0-0"},
        {"libgcc_s.so.1", "libgcc-s1"},
        {"libstdc++.so.6", "libstdc++6"},
        {"libc.so.6", "libc6"},
        {"libm.so.6", "libc6"},
        {"libz.so.1", "zlib1g"},
        {"libpng16.so.16", "libpng16-16"},
        {"libopenal.so.1", "libopenal1"},
        {"libsteam_api.so", NULL},
        {"libfoo.so", NULL},
        {"libfoo.so.1a", NULL},
        {"foo.so.1", NULL},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *got = lo_debian_package_guess(cases[i][0]);
        g_assert_cmpstr(got, ==, cases[i][1]);
    }
}

static void test_library_path_from_argv(void)
{
    const char *argv[] = {"qemu", "-E", "LD_LIBRARY_PATH=/a:/b", "-U", "LD_PRELOAD",
                          "game", "-E", "LD_LIBRARY_PATH=/evil", NULL};
    g_auto(GStrv) p = lo_preflight_library_path_from_argv(argv);
    g_assert_cmpuint(g_strv_length(p), ==, 2);
    g_assert_cmpstr(p[1], ==, "/b");
    const char *plain[] = {"qemu", "-U", "LD_LIBRARY_PATH",       "-U", "LD_PRELOAD",
                           "game", "-E", "LD_LIBRARY_PATH=/evil", NULL};
    g_auto(GStrv) q = lo_preflight_library_path_from_argv(plain);
    g_assert_cmpuint(g_strv_length(q), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    dir = test_tmpdir();
    g_test_add_func("/preflight/reads-dynamic", test_reads_dynamic);
    g_test_add_func("/preflight/refuses-damaged", test_refuses_damaged);
    g_test_add_func("/preflight/resolves-like-the-loader", test_resolves_like_the_loader);
    g_test_add_func("/preflight/runpath-hides-rpath", test_runpath_hides_rpath);
    g_test_add_func("/preflight/unreadable-game", test_unreadable_game);
    g_test_add_func("/preflight/conf-include-bomb", test_conf_include_bomb);
    g_test_add_func("/preflight/debian-names", test_debian_names);
    g_test_add_func("/preflight/library-path-from-argv", test_library_path_from_argv);
    int r = g_test_run();
    test_tmpdir_free(dir);
    return r;
}
