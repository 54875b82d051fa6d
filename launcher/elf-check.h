/*
 * Finding the game and making sure it is something qemu-x86_64 can run: an
 * x86_64 ELF executable. Anything else gets a message saying what it is.
 */
#pragma once

#include <glib.h>

/* Resolves a program like execvp: a name with a '/' is used as given, a bare
 * name is searched in $PATH. Returns the path to hand to QEMU. */
char *lo_find_program(const char *name, GError **error);

/* Opens a program for reading, once: what is checked, hashed and run must
 * be the same file, whatever takes its name meanwhile. Never blocks (a FIFO
 * in its place is refused); the descriptor is close-on-exec. -1 with error. */
int lo_open_program(const char *path, GError **error);

/* TRUE when path is an x86_64 ELF executable or shared object
 * (LO_EXIT_NOT_X86_64 otherwise, naming what it is instead). */
gboolean lo_elf_check_x86_64(const char *path, GError **error);

/* The name of an ELF machine (EM_*; "x86_64", "aarch64", "riscv64", "32-bit
 * x86 (i386)"...), or NULL for one this launcher does not know. */
const char *lo_elf_machine_name(unsigned machine);

/* The ELF machine of a readable ELF file at path; FALSE when it is not one. */
gboolean lo_elf_machine(const char *path, unsigned *machine);

/* The ELF machine of the host (LORELEI_HOST_ARCH when set); 0 if unknown. */
unsigned lo_host_elf_machine(void);

/* TRUE unless path is an ELF file built for another machine than this host:
 * `what` ("the lorelei plugin") names the part in the error
 * (LO_EXIT_UNSUPPORTED, with a fix naming `fix_var`, e.g. LORELEI_PLUGIN).
 * Non-ELF files (scripts standing in for QEMU in tests) pass. */
gboolean lo_elf_check_host_part(const char *path, const char *what, const char *fix_var,
                                GError **error);

typedef enum {
    LO_QEMU_API_OK,         /* exports qemu_plugin_register_vcpu_syscall_filter_cb */
    LO_QEMU_API_NO_FILTER,  /* loads plugins, but lacks the syscall-filter API */
    LO_QEMU_API_NO_PLUGINS, /* exports no plugin API at all (static or --disable-plugins) */
    LO_QEMU_API_UNKNOWN,    /* not an ELF file, or unreadable: cannot tell */
} LoQemuApi;

/* What the QEMU binary at path offers plugins, from its dynamic symbols. */
LoQemuApi lo_qemu_plugin_api(const char *path);

/* TRUE unless the QEMU at path certainly cannot run the plugin (no plugin
 * API or no syscall-filter API); the error (LO_EXIT_UNSUPPORTED) says what to
 * use instead. */
gboolean lo_qemu_check_filter_api(const char *path, GError **error);
/* The same for a program opened with lo_open_program() (path: for messages). */
gboolean lo_elf_check_x86_64_fd(int fd, const char *path, GError **error);
