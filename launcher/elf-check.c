#include "elf-check.h"

#include "errors.h"
#include "paths.h"
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

const char *lo_elf_machine_name(unsigned machine)
{
    switch (machine) {
    case EM_X86_64:
        return "x86_64";
    case EM_386:
        return "32-bit x86 (i386)";
    case EM_ARM:
        return "32-bit ARM";
    case EM_AARCH64:
        return "aarch64";
    case EM_RISCV:
        return "riscv64";
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
        const char *what = lo_elf_machine_name(machine);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_X86_64,
                    "'%s' is a %s ELF program, not x86_64: qemu-lorelei runs games under "
                    "qemu-x86_64 with 64-bit x86_64 stand-ins for their libraries",
                    shown,
                    what != NULL                ? what
                    : h[EI_CLASS] == ELFCLASS32 ? "32-bit"
                                                : "non-x86_64");
        lo_error_fix(error, "look for the game's 64-bit x86_64 (amd64) build");
        return FALSE;
    }
    Elf64_Ehdr eh;
    memcpy(&eh, h, sizeof(eh));
    if (eh.e_machine != EM_X86_64) {
        const char *what = lo_elf_machine_name(eh.e_machine);
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

gboolean lo_elf_machine(const char *path, unsigned *machine)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return FALSE;
    }
    unsigned char h[20] = {0};
    ssize_t n = pread(fd, h, sizeof(h), 0);
    close(fd);
    if (n < (ssize_t)sizeof(h) || memcmp(h, ELFMAG, SELFMAG) != 0 || h[EI_DATA] != ELFDATA2LSB) {
        return FALSE;
    }
    *machine = (unsigned)(h[18] | h[19] << 8);
    return TRUE;
}

unsigned lo_host_elf_machine(void)
{
    static const struct {
        const char *arch;
        unsigned machine;
    } known[] = {
        {"x86_64", EM_X86_64}, {"aarch64", EM_AARCH64}, {"riscv64", EM_RISCV},
        {"i686", EM_386},      {"i386", EM_386},        {"armv7l", EM_ARM},
        {"ppc64le", EM_PPC64}, {"s390x", EM_S390},      {"loongarch64", EM_LOONGARCH},
    };
    const char *arch = lo_effective_host_arch();
    for (gsize i = 0; i < G_N_ELEMENTS(known); i++) {
        if (strcmp(arch, known[i].arch) == 0) {
            return known[i].machine;
        }
    }
    return 0;
}

static const char *machine_text(unsigned machine)
{
    const char *name = lo_elf_machine_name(machine);
    return name != NULL ? name : "another architecture";
}

gboolean lo_elf_check_host_part(const char *path, const char *what, const char *fix_var,
                                GError **error)
{
    unsigned machine = 0, host = lo_host_elf_machine();
    if (host == 0 || !lo_elf_machine(path, &machine) || machine == host) {
        return TRUE;
    }
    g_autofree char *shown = lo_printable(path, 200);
    g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                "%s (%s) is built for %s, but this host is %s: it cannot be loaded here", what,
                shown, machine_text(machine), lo_effective_host_arch());
    lo_error_fix(error,
                 "build qemu-lorelei on this machine (scripts/build.sh build) or install the "
                 "%s package, and unset %s if it points at another machine's build",
                 lo_effective_host_arch(), fix_var);
    return FALSE;
}

/* Looks symbol up in the ELF file's SHT_DYNSYM table; *plugin_api tells
 * whether any qemu_plugin_* symbol is there. FALSE if the file is no 64-bit
 * little-endian ELF or is malformed. */
static gboolean dynsym_lookup(const char *path, const char *symbol, gboolean *found,
                              gboolean *plugin_api)
{
    *found = *plugin_api = FALSE;
    g_autoptr(GMappedFile) map = g_mapped_file_new(path, FALSE, NULL);
    if (map == NULL) {
        return FALSE;
    }
    const unsigned char *data = (const unsigned char *)g_mapped_file_get_contents(map);
    gsize size = g_mapped_file_get_length(map);
    Elf64_Ehdr eh;
    if (size < sizeof(eh) || memcmp(data, ELFMAG, SELFMAG) != 0 || data[EI_CLASS] != ELFCLASS64 ||
        data[EI_DATA] != ELFDATA2LSB) {
        return FALSE;
    }
    memcpy(&eh, data, sizeof(eh));
    if (eh.e_shnum == 0) {
        return FALSE; /* no section headers (stripped of them): cannot tell */
    }
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff > size ||
        (guint64)eh.e_shnum * sizeof(Elf64_Shdr) > size - eh.e_shoff) {
        return FALSE;
    }
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sym, str;
        memcpy(&sym, data + eh.e_shoff + (gsize)i * sizeof(sym), sizeof(sym));
        if (sym.sh_type != SHT_DYNSYM || sym.sh_link >= eh.e_shnum) {
            continue;
        }
        memcpy(&str, data + eh.e_shoff + (gsize)sym.sh_link * sizeof(str), sizeof(str));
        if (sym.sh_offset > size || sym.sh_size > size - sym.sh_offset || str.sh_offset > size ||
            str.sh_size > size - str.sh_offset) {
            return FALSE;
        }
        const char *strtab = (const char *)data + str.sh_offset;
        for (guint64 off = 0; off + sizeof(Elf64_Sym) <= sym.sh_size; off += sizeof(Elf64_Sym)) {
            Elf64_Sym s;
            memcpy(&s, data + sym.sh_offset + off, sizeof(s));
            if (s.st_name >= str.sh_size || s.st_shndx == SHN_UNDEF) {
                continue;
            }
            const char *name = strtab + s.st_name;
            gsize max = str.sh_size - s.st_name;
            if (strnlen(name, max) == max) {
                continue; /* not terminated inside the table */
            }
            *plugin_api |= g_str_has_prefix(name, "qemu_plugin_");
            *found |= strcmp(name, symbol) == 0;
        }
    }
    return TRUE;
}

LoQemuApi lo_qemu_plugin_api(const char *path)
{
    gboolean found, plugin_api;
    if (!dynsym_lookup(path, "qemu_plugin_register_vcpu_syscall_filter_cb", &found, &plugin_api)) {
        return LO_QEMU_API_UNKNOWN;
    }
    return found ? LO_QEMU_API_OK : plugin_api ? LO_QEMU_API_NO_FILTER : LO_QEMU_API_NO_PLUGINS;
}

gboolean lo_qemu_check_filter_api(const char *path, GError **error)
{
    LoQemuApi api = lo_qemu_plugin_api(path);
    if (api == LO_QEMU_API_OK || api == LO_QEMU_API_UNKNOWN) {
        return TRUE;
    }
    g_autofree char *shown = lo_printable(path, 200);
    if (api == LO_QEMU_API_NO_FILTER) {
        g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                    "the QEMU at %s lacks the syscall-filter plugin API "
                    "(qemu_plugin_register_vcpu_syscall_filter_cb), which the lorelei plugin "
                    "needs to forward SDL2, OpenGL, Vulkan, OpenAL, zlib and libvorbisfile",
                    shown);
    } else {
        g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                    "the QEMU at %s cannot load plugins at all (it exports no plugin API: a "
                    "static build, or one configured without --enable-plugins), and the "
                    "lorelei plugin is how SDL2, OpenGL, Vulkan, OpenAL, zlib and libvorbisfile "
                    "reach the host",
                    shown);
    }
    lo_error_fix(error, "use the patched QEMU (packaging/qemu/build-qemu.sh; unset LORELEI_QEMU) "
                        "or QEMU >= 11.1, or run the game fully emulated with --no-thunk sdl2 "
                        "--no-thunk gl --no-thunk vulkan --no-thunk openal --no-thunk zlib "
                        "--no-thunk vorbisfile");
    return FALSE;
}
