/*
 * The sysroots: x86_64 root file systems under
 * $XDG_DATA_HOME/qemu-lorelei/sysroots/NAME, handed to QEMU with -L.
 * Each holds a small metadata file (origin, date, size) written when it was
 * made; a folder without one (put there by hand) is still a sysroot.
 */
#pragma once

#include <glib.h>

struct cJSON;

#define LO_SYSROOT_META    ".qemu-lorelei-sysroot.json"
#define LO_DEFAULT_SYSROOT "default"

typedef struct {
    char *name;
    char *path;
    guint64 size;         /* bytes, as measured when it was made */
    gboolean size_known;  /* FALSE without metadata */
    char *origin;         /* e.g. "archive /home/me/rootfs.tar.xz"; "unknown" without metadata */
    char *created;        /* ISO 8601 date and time, or "unknown" */
    struct cJSON *source; /* what it was made from in detail (Debian suite, mirror,
                             packages and versions), or NULL */
} LoSysrootInfo;

void lo_sysroot_info_free(LoSysrootInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoSysrootInfo, lo_sysroot_info_free)

/* Whether name is a valid sysroot name (LO_EXIT_USAGE otherwise). */
gboolean lo_sysroot_name_check(const char *name, GError **error);

/* sysroots/NAME; name must have passed lo_sysroot_name_check(). */
char *lo_sysroot_path(const char *name);

/* Information about an existing sysroot, or NULL (LO_EXIT_NOT_FOUND, with a
 * "did you mean" and the commands that create one). */
LoSysrootInfo *lo_sysroot_get(const char *name, GError **error);

/* All sysroots, sorted by name (LoSysrootInfo*). */
GPtrArray *lo_sysroot_list(void);

/* Writes the metadata file into a sysroot that is being made; source (may
 * be NULL) is stored as the "source" object. */
gboolean lo_sysroot_write_meta(const char *dir, const char *origin, guint64 size,
                               const struct cJSON *source, GError **error);

/* Fills tmp (an empty folder beside the sysroot) with the sysroot's files. */
typedef gboolean (*LoSysrootFillFn)(const char *tmp, gpointer data, GString *origin,
                                    GError **error);

/* Makes the sysroot at target: fn fills a temporary folder beside it, the
 * metadata (origin, source) is written, and the folder is renamed into
 * place (replace: swapped in for an existing one, as import does). On
 * failure or SIGINT/SIGTERM the temporary folder is removed and nothing
 * changes. Temporary folders of killed runs are removed first. */
gboolean lo_sysroot_build(const char *target, gboolean replace, LoSysrootFillFn fn, gpointer data,
                          GString *origin, const struct cJSON *source, GError **error);

/* Finishes a sysroot made of Debian packages (with LoExtractor.merge_usr):
 * the merged-/usr links (lib -> usr/lib, ...), and an empty etc/ld.so.cache
 * unless a package brought one. The guest's loader then ignores the cache
 * and searches its default folders (/lib/x86_64-linux-gnu,
 * /usr/lib/x86_64-linux-gnu, ...), which QEMU looks up in the sysroot
 * first; without it, it would read the host's /etc/ld.so.cache and follow
 * the host's paths. */
gboolean lo_sysroot_finish_packages(const char *dir, GError **error);

/* The Debian suite fixes and examples suggest: this machine's own when it
 * runs Debian (/etc/os-release), else "stable". */
char *lo_sysroot_suggested_suite(void);

/* The commands that create sysroot name, for "fix:" lines. */
void lo_sysroot_add_create_fix(GError **error, const char *name);

typedef enum {
    LO_SYSROOT_ARCH_X86_64,  /* its C library is x86_64 */
    LO_SYSROOT_ARCH_OTHER,   /* its C library is built for another machine */
    LO_SYSROOT_ARCH_UNKNOWN, /* no C library found where Linux distributions put it */
} LoSysrootArch;

/* Which machine the sysroot at path is for, judged by the ELF machine of its
 * dynamic loader and libc.so.6 (e.g. lib64/ld-linux-x86-64.so.2,
 * usr/lib/aarch64-linux-gnu/libc.so.6). *evidence: the file that decided
 * (relative to path) and what it is, for messages; NULL when unknown. */
LoSysrootArch lo_sysroot_arch(const char *path, char **evidence);

/* FALSE (LO_EXIT_INVALID, with the fix) when sysroot name at path is
 * certainly not an x86_64 one: QEMU would hand its libraries to the game. */
gboolean lo_sysroot_check_arch(const char *name, const char *path, GError **error);
