#include "elf-check.h"

#include "errors.h"
#include "sandbox.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef EM_LOONGARCH
#define EM_LOONGARCH 258
#endif

char *lo_find_program(const char *name, GError **error)
{
    g_autofree char *shown = lo_printable(name, 200);
    if (name[0] == '\0') {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE, "the game's path is empty");
        lo_error_fix(error, "give the path of the game's x86_64 executable");
        return NULL;
    }
    char *path = NULL;
    if (strchr(name, '/') != NULL) {
        path = g_strdup(name);
    } else {
        path = g_find_program_in_path(name);
        if (path == NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "game '%s' not found in $PATH", shown);
            lo_error_fix(error, "give the path of the game's executable, e.g. ./%s", shown);
            if (lo_flatpak_id() != NULL) {
                lo_error_note(error, "(inside the Flatpak sandbox, $PATH holds only its own "
                                     "programs: the host's are not visible)");
            }
            return NULL;
        }
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        int saved = errno;
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "game '%s' not found: %s", shown,
                    g_strerror(saved));
        lo_error_fix(error, "check the path of the game's executable");
        if (saved == ENOENT || saved == EACCES) {
            lo_error_fix_sandbox_path(error, path, FALSE);
        }
        g_free(path);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64, "'%s' is a directory, not a program",
                    shown);
        lo_error_fix(error, "give the game's executable inside it");
        g_free(path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64, "'%s' is not an executable file", shown);
        lo_error_fix(error, "make it executable (chmod +x '%s') if it is the game's program",
                     shown);
        g_free(path);
        return NULL;
    }
    return path;
}

static const char *machine_name(unsigned machine)
{
    switch (machine) {
    case EM_386:
        return "32-bit x86 (i386)";
    case EM_ARM:
        return "32-bit ARM";
    case EM_AARCH64:
        return "aarch64";
    case EM_RISCV:
        return "riscv";
    case EM_PPC64:
        return "ppc64";
    case EM_S390:
        return "s390x";
    case EM_MIPS:
        return "mips";
    case EM_LOONGARCH:
        return "loongarch64";
    default:
        return NULL;
    }
}

int lo_open_program(const char *path, GError **error)
{
    g_autofree char *shown = lo_printable(path, 200);
    /* O_NONBLOCK: a FIFO put where the game was must not hang the launcher. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int saved = errno;
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "cannot read '%s': %s", shown,
                    g_strerror(saved));
        lo_error_fix(error, "check the path and that you may read the file");
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64, "'%s' is not an executable file", shown);
        lo_error_fix(error, "give the path of the game's x86_64 executable");
        return -1;
    }
    return fd;
}

gboolean lo_elf_check_x86_64(const char *path, GError **error)
{
    int fd = lo_open_program(path, error);
    if (fd < 0) {
        return FALSE;
    }
    gboolean ok = lo_elf_check_x86_64_fd(fd, path, error);
    close(fd);
    return ok;
}

gboolean lo_elf_check_x86_64_fd(int fd, const char *path, GError **error)
{
    g_autofree char *shown = lo_printable(path, 200);
    unsigned char h[sizeof(Elf64_Ehdr)] = {0};
    ssize_t n = pread(fd, h, sizeof(h), 0);
    if (n >= 2 && h[0] == '#' && h[1] == '!') {
        g_autofree char *line = g_strndup((const char *)h + 2, n - 2);
        line[strcspn(line, "\n")] = '\0';
        g_autofree char *interp = lo_printable(g_strstrip(line), 60);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64,
                    "'%s' is a script (#!%s), not an x86_64 program", shown, interp);
        lo_error_fix(error, "run the x86_64 program the script starts instead (read the script "
                            "for its path, arguments and environment)");
        return FALSE;
    }
    if (n >= 2 && h[0] == 'M' && h[1] == 'Z') {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64,
                    "'%s' is a Windows program, not an x86_64 Linux program", shown);
        lo_error_fix(error, "qemu-lorelei runs Linux games; use the game's Linux version");
        return FALSE;
    }
    if (n < SELFMAG || memcmp(h, ELFMAG, SELFMAG) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64, "'%s' is not an ELF program", shown);
        lo_error_fix(error, "give the path of the game's x86_64 Linux executable");
        return FALSE;
    }
    if (h[EI_CLASS] == ELFCLASS64 && h[EI_DATA] == ELFDATA2LSB && n < (ssize_t)sizeof(Elf64_Ehdr)) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64, "'%s' is a truncated ELF file", shown);
        lo_error_fix(error, "the file is damaged: reinstall the game");
        return FALSE;
    }
    if (h[EI_CLASS] != ELFCLASS64 || h[EI_DATA] != ELFDATA2LSB) {
        unsigned machine = n >= 20 ? (unsigned)(h[18] | h[19] << 8) : 0;
        const char *what = machine_name(machine);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64, "'%s' is a %s ELF program, not x86_64",
                    shown,
                    what != NULL                ? what
                    : h[EI_CLASS] == ELFCLASS32 ? "32-bit"
                                                : "non-x86_64");
        lo_error_fix(error, "qemu-lorelei runs 64-bit x86_64 programs only; look for the game's "
                            "x86_64 (amd64) build");
        return FALSE;
    }
    Elf64_Ehdr eh;
    memcpy(&eh, h, sizeof(eh));
    if (eh.e_machine != EM_X86_64) {
        const char *what = machine_name(eh.e_machine);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64,
                    "'%s' is an ELF program for %s, not x86_64", shown,
                    what != NULL ? what : "another architecture");
        if (what != NULL && strcmp(what, lo_host_arch()) == 0) {
            lo_error_fix(error, "it is native to this machine: run it directly");
        } else {
            lo_error_fix(error, "look for the game's x86_64 (amd64) build");
        }
        return FALSE;
    }
    if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64,
                    "'%s' is an x86_64 ELF file but not a program (type %u)", shown, eh.e_type);
        lo_error_fix(error, "give the game's executable, not an object or core file");
        return FALSE;
    }
    return TRUE;
}
