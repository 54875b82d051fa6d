/* Recognizing the game (elf-check.c): x86_64 ELF programs pass, everything
 * else is named for what it is. */
#include "elf-check.h"
#include "errors.h"
#include "testutil.h"

#include <elf.h>
#include <sys/stat.h>

static char *dir;

static char *make(const char *name, const void *bytes, gsize len, int mode)
{
    char *path = g_build_filename(dir, name, NULL);
    g_assert_true(g_file_set_contents(path, bytes, len, NULL));
    g_assert_cmpint(chmod(path, mode), ==, 0);
    return path;
}

static char *make_elf(const char *name, int cls, unsigned machine, unsigned type)
{
    Elf64_Ehdr h = {0};
    memcpy(h.e_ident, ELFMAG, SELFMAG);
    h.e_ident[EI_CLASS] = cls;
    h.e_ident[EI_DATA] = ELFDATA2LSB;
    h.e_ident[EI_VERSION] = EV_CURRENT;
    h.e_machine = machine;
    h.e_type = type;
    if (cls == ELFCLASS32) {
        /* e_type and e_machine sit at the same offsets in both classes. */
        return make(name, &h, sizeof(Elf32_Ehdr), 0755);
    }
    return make(name, &h, sizeof(h), 0755);
}

static void expect(const char *path, int code, const char *needle)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *found = lo_find_program(path, &error);
    if (found != NULL) {
        lo_elf_check_x86_64(found, &error);
    }
    if (code == LO_EXIT_OK) {
        g_assert_no_error(error);
        return;
    }
    g_assert_error(error, LO_ERROR, code);
    if (strstr(error->message, needle) == NULL) {
        g_error("message '%s' lacks '%s'", error->message, needle);
    }
}

static void test_accepts_x86_64(void)
{
    g_autofree char *exec = make_elf("exec", ELFCLASS64, EM_X86_64, ET_EXEC);
    g_autofree char *dyn = make_elf("pie", ELFCLASS64, EM_X86_64, ET_DYN);
    expect(exec, LO_EXIT_OK, NULL);
    expect(dyn, LO_EXIT_OK, NULL);
}

static void test_refuses_the_rest(void)
{
    g_autofree char *arm = make_elf("arm", ELFCLASS64, EM_AARCH64, ET_EXEC);
    expect(arm, LO_EXIT_NOT_X86_64, "is an ELF program for aarch64, not x86_64");
    g_autofree char *rv = make_elf("rv", ELFCLASS64, EM_RISCV, ET_DYN);
    expect(rv, LO_EXIT_NOT_X86_64, "for riscv64, not x86_64");
    g_autofree char *i386 = make_elf("i386", ELFCLASS32, EM_386, ET_EXEC);
    expect(i386, LO_EXIT_NOT_X86_64, "is a 32-bit x86 (i386) ELF program, not x86_64");
    g_autofree char *obj = make_elf("obj", ELFCLASS64, EM_X86_64, ET_REL);
    expect(obj, LO_EXIT_NOT_X86_64, "x86_64 ELF file but not a program");
    g_autofree char *script = make("script", "#!/bin/sh -e\necho hi\n", 21, 0755);
    expect(script, LO_EXIT_NOT_X86_64, "is a script (#!/bin/sh -e), not an x86_64 program");
    g_autofree char *pe = make("game.exe", "MZ\x90\0\3", 5, 0755);
    expect(pe, LO_EXIT_NOT_X86_64, "is a Windows program");
    g_autofree char *text = make("readme", "hello", 5, 0755);
    expect(text, LO_EXIT_NOT_X86_64, "is not an ELF program");
    g_autofree char *cut = make("cut", ELFMAG "\2\1\1", 7, 0755);
    expect(cut, LO_EXIT_NOT_X86_64, "is a truncated ELF file");
    g_autofree char *noexec = make_elf("noexec", ELFCLASS64, EM_X86_64, ET_EXEC);
    g_assert_cmpint(chmod(noexec, 0644), ==, 0);
    expect(noexec, LO_EXIT_NOT_X86_64, "is not an executable file");
    expect(dir, LO_EXIT_NOT_X86_64, "is a directory, not a program");
    g_autofree char *missing = g_build_filename(dir, "missing", NULL);
    expect(missing, LO_EXIT_NOT_FOUND, "not found: No such file or directory");
    expect("surely-no-such-program-here", LO_EXIT_NOT_FOUND, "not found in $PATH");
    expect("", LO_EXIT_USAGE, "empty");
}

static void test_host_parts(void)
{
    g_assert_cmpstr(lo_elf_machine_name(EM_X86_64), ==, "x86_64");
    g_assert_cmpstr(lo_elf_machine_name(EM_RISCV), ==, "riscv64");
    g_setenv("LORELEI_HOST_ARCH", "aarch64", TRUE);
    g_assert_cmpuint(lo_host_elf_machine(), ==, EM_AARCH64);
    g_autofree char *x86 = make_elf("host-x86.so", ELFCLASS64, EM_X86_64, ET_DYN);
    g_autoptr(GError) error = NULL;
    g_assert_false(lo_elf_check_host_part(x86, "the lorelei plugin", "LORELEI_PLUGIN", &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message, "is built for x86_64, but this host is aarch64"));
    g_assert_nonnull(strstr(error->message, "unset LORELEI_PLUGIN"));
    g_clear_error(&error);
    g_setenv("LORELEI_HOST_ARCH", "x86_64", TRUE);
    g_assert_true(lo_elf_check_host_part(x86, "the lorelei plugin", "LORELEI_PLUGIN", &error));
    /* A script standing in for QEMU cannot be judged, so it passes. */
    g_autofree char *script = make("qemu.sh", "#!/bin/sh\n", 10, 0755);
    g_assert_true(lo_elf_check_host_part(script, "QEMU", "LORELEI_QEMU", &error));
    g_unsetenv("LORELEI_HOST_ARCH");
}

static void test_qemu_plugin_api(void)
{
    g_autofree char *script = make("qemu2.sh", "#!/bin/sh\n", 10, 0755);
    g_assert_cmpint(lo_qemu_plugin_api(script), ==, LO_QEMU_API_UNKNOWN);
    /* Only a header, no section table: cannot tell either. */
    g_autofree char *bare = make_elf("bare-qemu", ELFCLASS64, EM_X86_64, ET_EXEC);
    g_assert_cmpint(lo_qemu_plugin_api(bare), ==, LO_QEMU_API_UNKNOWN);
    /* This test program has dynamic symbols but no plugin API. */
    g_assert_cmpint(lo_qemu_plugin_api("/proc/self/exe"), ==, LO_QEMU_API_NO_PLUGINS);
    g_autoptr(GError) error = NULL;
    g_assert_false(lo_qemu_check_filter_api("/proc/self/exe", &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED);
    g_assert_nonnull(strstr(error->message, "cannot load plugins at all"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    dir = test_tmpdir();
    g_test_add_func("/elf/accepts-x86_64", test_accepts_x86_64);
    g_test_add_func("/elf/refuses-the-rest", test_refuses_the_rest);
    g_test_add_func("/elf/host-parts", test_host_parts);
    g_test_add_func("/elf/qemu-plugin-api", test_qemu_plugin_api);
    int r = g_test_run();
    test_tmpdir_free(dir);
    return r;
}
