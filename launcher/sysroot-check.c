#include "sysroot-check.h"

#include <elf.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The ELF machine of root/rel (symbolic links followed, as QEMU does); 0
 * when it is missing or no 64-bit little-endian ELF file. */
static unsigned elf_machine(const char *root, const char *rel)
{
    g_autofree char *path = g_build_filename(root, rel, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return 0;
    }
    struct stat st;
    Elf64_Ehdr h;
    gboolean ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
                  pread(fd, &h, sizeof(h), 0) == (ssize_t)sizeof(h);
    close(fd);
    if (!ok || memcmp(h.e_ident, ELFMAG, SELFMAG) != 0 || h.e_ident[EI_CLASS] != ELFCLASS64 ||
        h.e_ident[EI_DATA] != ELFDATA2LSB) {
        return 0;
    }
    return h.e_machine;
}

/* The other architectures' library folders Debian packages fill. */
static const struct {
    const char *dir;
    const char *arch;
} foreign[] = {
    {"lib/aarch64-linux-gnu", "aarch64"},       {"usr/lib/aarch64-linux-gnu", "aarch64"},
    {"lib/riscv64-linux-gnu", "riscv64"},       {"usr/lib/riscv64-linux-gnu", "riscv64"},
    {"lib/arm-linux-gnueabihf", "32-bit ARM"},  {"usr/lib/arm-linux-gnueabihf", "32-bit ARM"},
    {"lib/i386-linux-gnu", "32-bit x86"},       {"usr/lib/i386-linux-gnu", "32-bit x86"},
    {"lib/powerpc64le-linux-gnu", "ppc64el"},   {"lib/s390x-linux-gnu", "s390x"},
    {"lib/loongarch64-linux-gnu", "loongarch"},
};

char *lo_sysroot_problem(const char *path)
{
    static const char *const libc_paths[] = {"lib/x86_64-linux-gnu/libc.so.6",
                                             "usr/lib/x86_64-linux-gnu/libc.so.6",
                                             "lib64/libc.so.6", "usr/lib64/libc.so.6", NULL};
    g_autoptr(GString) why = g_string_new(NULL);
    if (elf_machine(path, "lib64/ld-linux-x86-64.so.2") != EM_X86_64) {
        g_string_append(why, "no x86_64 dynamic loader (lib64/ld-linux-x86-64.so.2)");
    }
    gboolean libc = FALSE;
    for (const char *const *p = libc_paths; *p != NULL && !libc; p++) {
        libc = elf_machine(path, *p) == EM_X86_64;
    }
    if (!libc) {
        g_string_append_printf(why,
                               "%sno x86_64 C library (libc.so.6 in lib/x86_64-linux-gnu "
                               "or lib64)",
                               why->len ? " and " : "");
    }
    if (why->len == 0) {
        return NULL;
    }
    for (gsize i = 0; i < G_N_ELEMENTS(foreign); i++) {
        g_autofree char *dir = g_build_filename(path, foreign[i].dir, NULL);
        if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
            g_string_append_printf(why,
                                   "; it holds %s libraries (%s): made from packages or an "
                                   "archive for another architecture?",
                                   foreign[i].arch, foreign[i].dir);
            break;
        }
    }
    return g_string_free(g_steal_pointer(&why), FALSE);
}
