/*
 * qemu-lorelei sysroot create|import|list|remove.
 *
 * A sysroot is made in a temporary folder beside its final place and renamed
 * into place only when complete, so an interrupted or failed import leaves
 * nothing behind (Ctrl-C removes the temporary folder; one left by a killed
 * process is removed by the next create, import or remove, and list shows it
 * until then). Import and remove lock the sysroot: a second one waits.
 */
#include "cmd-sysroot-debian.h"
#include "commands.h"
#include "deb-archive.h"
#include "deb-relation.h"
#include "errors.h"
#include "extract.h"
#include "fsutil.h"
#include "json-util.h"
#include "paths.h"
#include "sandbox.h"
#include "sysroot-store.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The host folders a --from-host sysroot links to (those that exist). */
static const char *const host_lib_dirs[] = {"lib64", "lib/x86_64-linux-gnu",
                                            "usr/lib/x86_64-linux-gnu", "usr/lib64", NULL};

static gboolean parse_size(const char *text, guint64 *out, GError **error)
{
    char *end = NULL;
    errno = 0;
    guint64 n = g_ascii_strtoull(text, &end, 10);
    int shift = 0;
    if (end != NULL && *end != '\0') {
        const char *units = "KMGT";
        const char *u = strchr(units, g_ascii_toupper(*end));
        if (u == NULL || (end[1] != '\0' && g_ascii_strcasecmp(end + 1, "iB") != 0)) {
            end = NULL;
        } else {
            shift = 10 * (int)(u - units + 1);
        }
    }
    if (errno != 0 || end == NULL || end == text || n == 0 || n > (G_MAXUINT64 >> shift)) {
        lo_usage_error(error, "--max-size %s: not a size (examples: 500M, 64G)", text);
        return FALSE;
    }
    *out = n << shift;
    return TRUE;
}

/* Extracts or copies each source into dir. */
static gboolean fill(const char *dir, char **archives, const char *const *dirs, guint64 max_bytes,
                     gboolean merge_usr, GError **error)
{
    guint64 total = 0;
    for (char **a = archives; a != NULL && *a != NULL; a++) {
        struct stat st;
        if (stat(*a, &st) == 0) {
            total += st.st_size;
        }
    }
    g_autoptr(LoProgress) progress = lo_progress_new("importing", total);
    LoExtractor x = {
        .target = dir,
        .max_bytes = max_bytes,
        .max_entries = LO_EXTRACT_DEFAULT_MAX_ENTRIES,
        .progress = progress,
        .merge_usr = merge_usr,
    };
    for (char **a = archives; a != NULL && *a != NULL; a++) {
        if (!lo_extract_file(&x, *a, error)) {
            return FALSE;
        }
        struct stat st;
        x.progress_base += stat(*a, &st) == 0 ? (guint64)st.st_size : 0;
    }
    for (const char *const *d = dirs; d != NULL && *d != NULL; d++) {
        if (!lo_extract_dir(&x, *d, error)) {
            return FALSE;
        }
    }
    if (x.skipped_special > 0) {
        g_printerr("qemu-lorelei: skipped %" G_GUINT64_FORMAT
                   " device, FIFO or socket entries (a sysroot needs none)\n",
                   x.skipped_special);
    }
    return TRUE;
}

static gboolean fill_from_host(const char *dir, GString *origin, GError **error)
{
    if (!lo_effective_host_is_x86_64()) {
        g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                    "--from-host needs an x86_64 host (this one is %s): it links the host's own "
                    "x86_64 libraries",
                    lo_effective_host_arch());
        lo_error_fix(error, "use --from-archive with an x86_64 root file system instead");
        return FALSE;
    }
    g_string_append(origin, "host (links to");
    for (const char *const *rel = host_lib_dirs; *rel != NULL; rel++) {
        g_autofree char *host = g_strconcat("/", *rel, NULL);
        if (!g_file_test(host, G_FILE_TEST_IS_DIR)) {
            continue;
        }
        g_autofree char *link = g_build_filename(dir, *rel, NULL);
        g_autofree char *parent = g_path_get_dirname(link);
        if (g_mkdir_with_parents(parent, 0755) != 0 || symlink(host, link) != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", link,
                        g_strerror(errno));
            return FALSE;
        }
        g_string_append_printf(origin, " %s", host);
    }
    g_string_append(origin, ")");
    return TRUE;
}

/* The .deb files in a folder, sorted. */
static GPtrArray *debs_in(const char *dir, GError **error)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    if (d == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "--from-debs %s: no such folder", dir);
        lo_error_fix(error, "give the folder holding the .deb files");
        lo_error_fix_sandbox_path(error, dir, TRUE);
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (g_str_has_suffix(name, ".deb")) {
            g_ptr_array_add(out, g_build_filename(dir, name, NULL));
        }
    }
    if (out->len == 0) {
        g_ptr_array_unref(out);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "--from-debs %s: no .deb files in it", dir);
        lo_error_fix(error, "download the x86_64 (amd64) packages first, e.g. apt-get download "
                            "-o APT::Architecture=amd64 libc6 libstdc++6");
        return NULL;
    }
    g_ptr_array_sort(out, lo_compare_strings);
    g_ptr_array_add(out, NULL);
    return out;
}

typedef struct {
    char **archives;
    char *debs;
    char *dir;
    gboolean host;
    guint64 max_bytes;
    const char *clone_from; /* import: the sysroot to start from */
} Sources;

static gboolean clone_tree(const char *from, const char *to, GError **error);

static gboolean fill_sources(const char *tmp, gpointer data, GString *origin, GError **error)
{
    Sources *s = data;
    if (s->clone_from != NULL && !clone_tree(s->clone_from, tmp, error)) {
        return FALSE;
    }
    if (s->host) {
        return fill_from_host(tmp, origin, error);
    }
    g_autoptr(GPtrArray) debs = NULL;
    char **archives = s->archives;
    if (s->debs != NULL) {
        if ((debs = debs_in(s->debs, error)) == NULL) {
            return FALSE;
        }
        archives = (char **)debs->pdata;
    }
    const char *dirs[] = {s->dir, NULL};
    /* Packages go into a merged /usr, as on Debian; an imported sysroot
     * keeps the layout it has. */
    gboolean merge_usr = s->debs != NULL || lo_extract_is_merged(tmp);
    if (!fill(tmp, archives, dirs, s->max_bytes, merge_usr, error)) {
        return FALSE;
    }
    return s->debs == NULL || lo_sysroot_finish_packages(tmp, error);
}

/* Mirrors a sysroot into an empty folder with hard links (cheap, and the
 * import unlinks before writing, so the original's files stay untouched). */
static gboolean clone_at(int from_fd, int to_fd, const char *top, int depth, GError **error)
{
    g_autoptr(GPtrArray) names = lo_list_dir_fd(from_fd);
    if (names == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot copy %s: %s", top, g_strerror(errno));
        return FALSE;
    }
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        struct stat st;
        /* A sysroot can hold a million files: Ctrl-C must not wait for all. */
        if (lo_interrupted()) {
            lo_set_interrupted_error(error, "nothing was imported");
            return FALSE;
        }
        /* The metadata is written afresh for the new copy. */
        if (depth > 128 || (depth == 0 && strcmp(name, LO_SYSROOT_META) == 0) ||
            fstatat(from_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue;
        }
        int r = 0;
        if (S_ISDIR(st.st_mode)) {
            r = mkdirat(to_fd, name, (st.st_mode & 0777) | S_IRWXU);
            int a = openat(from_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int b = openat(to_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            gboolean ok = r == 0 && a >= 0 && b >= 0 && clone_at(a, b, top, depth + 1, error);
            if (a >= 0) {
                close(a);
            }
            if (b >= 0) {
                fchmod(b, st.st_mode & 0777);
                close(b);
            }
            if (!ok) {
                if (error != NULL && *error == NULL) {
                    g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot copy %s: %s", top,
                                g_strerror(errno));
                }
                return FALSE;
            }
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(from_fd, name, target, sizeof(target) - 1);
            target[n > 0 ? n : 0] = '\0';
            r = n > 0 ? symlinkat(target, to_fd, name) : -1;
        } else if (S_ISREG(st.st_mode)) {
            r = linkat(from_fd, name, to_fd, name, 0);
        }
        if (r != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot copy %s: %s", top,
                        g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean clone_tree(const char *from, const char *to, GError **error)
{
    int a = open(from, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int b = open(to, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    gboolean ok = a >= 0 && b >= 0 && clone_at(a, b, from, 0, error);
    if (!ok && error != NULL && *error == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot copy %s: %s", from,
                    g_strerror(errno));
    }
    if (a >= 0) {
        close(a);
    }
    if (b >= 0) {
        close(b);
    }
    return ok;
}

/* The options that only go with --from-debian or --from-multiarch. */
static gboolean check_package_options(const LoPackageSource *p, int other_kinds, GError **error)
{
    gboolean debian = p->debian != NULL;
    if (!debian && !p->multiarch) {
        const char *stray = p->mirror != NULL     ? "--mirror"
                            : p->keyring != NULL  ? "--keyring"
                            : p->packages != NULL ? "--package"
                            : p->dry_run          ? "--dry-run"
                            : p->json             ? "--json"
                                                  : NULL;
        if (stray != NULL) {
            lo_usage_error(error, "%s goes with --from-debian or --from-multiarch", stray);
            return FALSE;
        }
        return TRUE;
    }
    if (other_kinds > 0 || (debian && p->multiarch)) {
        lo_usage_error(error, "give exactly one of --from-debian, --from-multiarch, "
                              "--from-archive, --from-debs, --from-dir, --from-host");
        return FALSE;
    }
    if (!debian && (p->mirror != NULL || p->keyring != NULL)) {
        lo_usage_error(error, "%s goes with --from-debian only",
                       p->mirror != NULL ? "--mirror" : "--keyring");
        return FALSE;
    }
    if (p->json && !p->dry_run) {
        lo_usage_error(error, "--json goes with --dry-run");
        return FALSE;
    }
    if (debian && !lo_debian_suite_valid(p->debian)) {
        g_autofree char *shown = lo_printable(p->debian, 60);
        lo_usage_error(error,
                       "--from-debian '%s': not a suite name (examples: bookworm, trixie, "
                       "stable)",
                       shown);
        return FALSE;
    }
    if (p->stall_seconds < 1 || p->stall_seconds > 3600) {
        lo_usage_error(error, "--timeout must be from 1 to 3600 seconds");
        return FALSE;
    }
    for (char **name = p->packages; name != NULL && *name != NULL; name++) {
        if (!lo_deb_name_valid(*name)) {
            g_autofree char *shown = lo_printable(*name, 60);
            lo_usage_error(error,
                           "--package '%s': not a Debian package name (lowercase letters, "
                           "digits, '+', '-', '.')",
                           shown);
            return FALSE;
        }
    }
    return TRUE;
}

static void package_source_clear(LoPackageSource *p)
{
    g_free(p->debian);
    g_free(p->mirror);
    g_free(p->keyring);
    g_strfreev(p->packages);
}

gboolean lo_cmd_sysroot_create(int argc, char **argv, GError **error)
{
    Sources s = {.max_bytes = LO_EXTRACT_DEFAULT_MAX_BYTES};
    LoPackageSource p = {.stall_seconds = 30};
    g_autofree char *max_size = NULL;
    const GOptionEntry entries[] = {
        {"from-debian", 0, 0, G_OPTION_ARG_STRING, &p.debian,
         "Download the libraries games use, and their dependencies, from Debian SUITE's amd64 "
         "packages (bookworm, trixie, stable, ...)",
         "SUITE"},
        {"from-multiarch", 0, 0, G_OPTION_ARG_NONE, &p.multiarch,
         "Copy the same packages from the amd64 packages installed on this machine (dpkg "
         "multiarch)",
         NULL},
        {"from-archive", 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &s.archives,
         "Extract an x86_64 root file system from a tar(.gz/.xz/.zst/.bz2) archive or a .deb "
         "(repeatable)",
         "FILE"},
        {"from-debs", 0, 0, G_OPTION_ARG_FILENAME, &s.debs,
         "Extract every .deb package in DIR (their data.tar)", "DIR"},
        {"from-dir", 0, 0, G_OPTION_ARG_FILENAME, &s.dir,
         "Copy a root file system from a folder (symbolic links copied, not followed)", "DIR"},
        {"from-host", 0, 0, G_OPTION_ARG_NONE, &s.host,
         "x86_64 hosts only, for testing: link to this machine's own x86_64 libraries", NULL},
        {"package", 0, 0, G_OPTION_ARG_STRING_ARRAY, &p.packages,
         "With --from-debian/--from-multiarch: also this package and its dependencies "
         "(repeatable)",
         "NAME"},
        {"mirror", 0, 0, G_OPTION_ARG_STRING, &p.mirror,
         "With --from-debian: the Debian mirror (http://, https://, file://); default: the one "
         "in this machine's apt sources",
         "URL"},
        {"keyring", 0, 0, G_OPTION_ARG_FILENAME, &p.keyring,
         "With --from-debian: check the archive's signature against FILE (default "
         "/usr/share/keyrings/debian-archive-keyring.gpg)",
         "FILE"},
        {"dry-run", 0, 0, G_OPTION_ARG_NONE, &p.dry_run,
         "With --from-debian/--from-multiarch: list the packages and sizes, download and create "
         "nothing",
         NULL},
        {"json", 0, 0, G_OPTION_ARG_NONE, &p.json, "With --dry-run: print the list as JSON", NULL},
        {"timeout", 0, 0, G_OPTION_ARG_INT, &p.stall_seconds,
         "With --from-debian: give up when no data arrives for SECONDS (default 30)", "SECONDS"},
        {"max-size", 0, 0, G_OPTION_ARG_STRING, &max_size,
         "Refuse sources that expand to more than SIZE (default 64G)", "SIZE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "NAME",
        "Create the x86_64 sysroot NAME under $XDG_DATA_HOME/qemu-lorelei/sysroots: the root file\n"
        "system the game's own libraries (libc, libstdc++, ...) come from. The sysroot appears\n"
        "only when complete; Ctrl-C, a network error or a refused file leaves nothing behind.\n"
        "\n"
        "--from-debian SUITE downloads the amd64 packages of libc6, libstdc++6, libgcc-s1,\n"
        "libx11-6, libxext6, libxcursor1, libxi6, libxrandr2, libxss1, libxkbcommon0, libasound2,\n"
        "libpulse0, libudev1, libdbus-1-3, libopenal1, libvorbisfile3, libpng16-16, zlib1g,\n"
        "libfreetype6, libsdl1.2-compat (SDL 1.2 games through the forwarded SDL2), the ones\n"
        "--package names, and everything they depend on (Depends and\n"
        "Pre-Depends; not what only installing packages needs, such as debconf or dpkg). The\n"
        "mirror's InRelease must carry a good signature (gpgv and the Debian archive keyring),\n"
        "and every index and package must match the SHA256 the signed files list. Packages are\n"
        "kept in $XDG_CACHE_HOME/qemu-lorelei/debs, and an interrupted download resumes.\n"
        "--from-multiarch takes the same packages from the amd64 packages dpkg installed here\n"
        "(sudo dpkg --add-architecture amd64 on an arm64 or riscv64 Debian).\n"
        "\n"
        "Archives, .deb packages and folders are checked entry by entry: absolute paths, '..',\n"
        "links that lead outside, and packages for other architectures are refused.",
        "Examples:\n"
        "  qemu-lorelei sysroot create default --from-debian bookworm\n"
        "  qemu-lorelei sysroot create default --from-debian bookworm --dry-run\n"
        "  qemu-lorelei sysroot create mygame --from-debian trixie --package libsdl2-image-2.0-0\n"
        "  qemu-lorelei sysroot create local --from-debian bookworm --mirror file:///srv/debian\n"
        "  qemu-lorelei sysroot create default --from-multiarch\n"
        "  qemu-lorelei sysroot create debian12 --from-archive debian-12-amd64-rootfs.tar.xz\n"
        "  qemu-lorelei sysroot create mygame --from-debs ~/debs/amd64\n"
        "  qemu-lorelei sysroot create chroot --from-dir /srv/chroot/bookworm-amd64\n"
        "  qemu-lorelei sysroot create default --from-host",
        entries);
    gboolean ok = lo_option_parse(ctx, &argc, &argv, error);
    int kinds = (s.archives != NULL) + (s.debs != NULL) + (s.dir != NULL) + s.host;
    if (!ok) {
        /* error set */
    } else if (argc != 2) {
        lo_usage_error(error, argc < 2 ? "no sysroot name given" : "more than one name given");
        ok = FALSE;
    } else if (!check_package_options(&p, kinds, error)) {
        ok = FALSE;
    } else if (kinds + (p.debian != NULL) + p.multiarch != 1) {
        lo_usage_error(error, "give exactly one of --from-debian, --from-multiarch, "
                              "--from-archive, --from-debs, --from-dir, --from-host");
        ok = FALSE;
    } else if (max_size != NULL && !parse_size(max_size, &s.max_bytes, error)) {
        ok = FALSE;
    } else if (!lo_sysroot_name_check(argv[1], error)) {
        ok = FALSE;
    }
    g_autofree char *target = ok ? lo_sysroot_path(argv[1]) : NULL;
    if (ok && !p.dry_run && g_file_test(target, G_FILE_TEST_EXISTS)) {
        g_set_error(error, LO_ERROR, LO_EXIT_EXISTS, "sysroot '%s' already exists (%s)", argv[1],
                    target);
        lo_error_fix(error,
                     "add to it with `qemu-lorelei sysroot import %s FILE…`, or "
                     "remove it first with `qemu-lorelei sysroot remove %s`",
                     argv[1], argv[1]);
        ok = FALSE;
    }
    p.max_bytes = s.max_bytes;
    if (ok && p.debian != NULL) {
        ok = lo_sysroot_from_debian(argv[1], target, &p, error);
    } else if (ok && p.multiarch) {
        ok = lo_sysroot_from_multiarch(argv[1], target, &p, error);
    } else if (ok) {
        g_autoptr(GString) origin = g_string_new(NULL);
        if (s.archives != NULL) {
            g_autofree char *first = g_canonicalize_filename(s.archives[0], NULL);
            guint n = g_strv_length(s.archives);
            g_string_printf(origin, "archive %s", first);
            if (n > 1) {
                g_string_append_printf(origin, " (+%u more)", n - 1);
            }
        } else if (s.debs != NULL) {
            g_autofree char *abs = g_canonicalize_filename(s.debs, NULL);
            g_string_printf(origin, "debs %s", abs);
        } else if (s.dir != NULL) {
            g_autofree char *abs = g_canonicalize_filename(s.dir, NULL);
            g_string_printf(origin, "dir %s", abs);
        }
        ok = lo_sysroot_build(target, FALSE, fill_sources, &s, origin, NULL, error);
        if (ok) {
            g_autoptr(LoSysrootInfo) info = lo_sysroot_get(argv[1], NULL);
            g_autofree char *size = lo_human_size(info != NULL ? info->size : 0);
            printf("created sysroot '%s' (%s) at %s\n", argv[1], size, target);
        }
    }
    g_strfreev(s.archives);
    g_free(s.debs);
    g_free(s.dir);
    package_source_clear(&p);
    return ok;
}

/* `sysroot import FILE NAME` and `sysroot import FOLDER`: a path where the
 * sysroot's name goes. Said as such, rather than "sysroot 'x.deb' does not
 * exist" with the advice to create it. */
static gboolean import_names_a_sysroot(int argc, char **argv, GError **error)
{
    g_autofree char *path = lo_sysroot_name_check(argv[1], NULL) ? lo_sysroot_path(argv[1]) : NULL;
    struct stat st;
    if ((path != NULL && g_file_test(path, G_FILE_TEST_IS_DIR)) || stat(argv[1], &st) != 0) {
        return TRUE;
    }
    g_autofree char *shown = lo_printable(argv[1], 200);
    const char *kind = S_ISDIR(st.st_mode) ? "a folder" : "a file";
    for (int i = 2; i < argc; i++) {
        g_autofree char *named =
            lo_sysroot_name_check(argv[i], NULL) ? lo_sysroot_path(argv[i]) : NULL;
        if (named == NULL || !g_file_test(named, G_FILE_TEST_IS_DIR)) {
            continue;
        }
        g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
        for (int j = 1; j < argc; j++) {
            if (j != i) {
                g_ptr_array_add(files, lo_shell_quote(argv[j]));
            }
        }
        g_ptr_array_add(files, NULL);
        g_autofree char *joined = g_strjoinv(" ", (char **)files->pdata);
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "%s is %s, not a sysroot name: the sysroot name comes first, then the "
                    "archives",
                    shown, kind);
        lo_error_fix(error, "qemu-lorelei sysroot import %s %s", argv[i], joined);
        return FALSE;
    }
    g_set_error(error, LO_ERROR, LO_EXIT_USAGE, "%s is %s, not a sysroot name", shown, kind);
    lo_error_fix(error,
                 "qemu-lorelei sysroot import NAME FILE… adds tar archives or .deb packages to "
                 "the sysroot NAME (qemu-lorelei sysroot list shows the names)%s",
                 S_ISDIR(st.st_mode) ? "; a folder holding a root file system becomes a sysroot "
                                       "with qemu-lorelei sysroot create NAME --from-dir FOLDER"
                                     : "");
    return FALSE;
}

/* An archive to import must exist and not be a folder (a FIFO is fine:
 * extraction reads it once, as create does). */
static gboolean import_source_usable(const char *name, const char *path, GError **error)
{
    struct stat st;
    g_autofree char *shown = lo_printable(path, 200);
    if (stat(path, &st) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "%s: no such file", shown);
        lo_error_fix(error, "give tar archives or .deb packages");
        lo_error_fix_sandbox_path(error, path, FALSE);
        return FALSE;
    }
    if (S_ISDIR(st.st_mode)) {
        g_autofree char *quoted = lo_shell_quote(path);
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "%s is a folder: import adds tar archives or .deb packages, not folders",
                    shown);
        lo_error_fix(error,
                     "for a folder of .deb packages: qemu-lorelei sysroot import %s %s/*.deb", name,
                     quoted);
        lo_error_fix(error,
                     "for a folder holding a root file system: make a sysroot of it with "
                     "qemu-lorelei sysroot create NEWNAME --from-dir %s",
                     quoted);
        return FALSE;
    }
    return TRUE;
}

gboolean lo_cmd_sysroot_import(int argc, char **argv, GError **error)
{
    Sources s = {.max_bytes = LO_EXTRACT_DEFAULT_MAX_BYTES};
    g_autofree char *max_size = NULL;
    const GOptionEntry entries[] = {
        {"max-size", 0, 0, G_OPTION_ARG_STRING, &max_size,
         "Refuse sources that expand to more than SIZE (default 64G)", "SIZE"},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "NAME FILE…",
        "Add tar archives or .deb packages (the game's extra libraries) to the existing sysroot\n"
        "NAME. The new files are added to a copy that replaces the sysroot in one step when\n"
        "complete; a failed or interrupted import (a full disk, Ctrl-C) leaves the sysroot as\n"
        "it was. The sysroot keeps its creation date; the import is recorded as 'updated'.\n"
        "A second import into the same sysroot waits for the first, then adds to its result.",
        "Examples:\n"
        "  qemu-lorelei sysroot import debian12 libopenal1_1.19.1-2_amd64.deb\n"
        "  qemu-lorelei sysroot import mygame extra-libs.tar.zst",
        entries);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc < 2) {
        lo_usage_error(error, "no sysroot name given");
        return FALSE;
    }
    if (!import_names_a_sysroot(argc, argv, error)) {
        return FALSE;
    }
    if (argc < 3) {
        lo_usage_error(error, "no archive given");
        return FALSE;
    }
    if (max_size != NULL && !parse_size(max_size, &s.max_bytes, error)) {
        return FALSE;
    }
    g_autoptr(LoSysrootInfo) found = lo_sysroot_get(argv[1], error);
    if (found == NULL) {
        return FALSE;
    }
    for (int i = 2; i < argc; i++) {
        if (!import_source_usable(argv[1], argv[i], error)) {
            return FALSE;
        }
    }
    /* Another import or a remove of this sysroot finishes first: this one
     * then starts from its result. */
    lo_autofd int lock = lo_sysroot_lock(argv[1], error);
    if (lock < 0) {
        return FALSE;
    }
    g_autoptr(LoSysrootInfo) info = lo_sysroot_get(argv[1], error);
    if (info == NULL) {
        return FALSE;
    }
    s.archives = argv + 2;
    s.clone_from = info->path;
    g_autoptr(GString) origin = g_string_new(info->origin);
    for (int i = 2; i < argc; i++) {
        g_autofree char *abs = g_canonicalize_filename(argv[i], NULL);
        g_string_append_printf(origin, "; + %s", abs);
    }
    if (!lo_sysroot_build(info->path, TRUE, fill_sources, &s, origin, info->source, error)) {
        return FALSE;
    }
    printf("imported %d file(s) into sysroot '%s'\n", argc - 2, argv[1]);
    return TRUE;
}

/* Temporary folders no running command holds: a remove or import that was
 * killed left them, out of sight of the list but not of the disk. */
static void warn_leftovers(void)
{
    g_autoptr(GPtrArray) left = lo_sysroot_leftovers();
    for (guint i = 0; i < left->len; i++) {
        const char *path = left->pdata[i];
        g_autofree char *size = lo_human_size(lo_tree_size(path));
        g_autofree char *shown = lo_printable(path, -1);
        g_autofree char *quoted = lo_shell_quote(path);
        g_printerr("qemu-lorelei: warning: %s (%s) was left by an interrupted or killed sysroot "
                   "command\n  fix: the next sysroot create, import or remove deletes it; or now: "
                   "rm -rf -- %s\n",
                   shown, size, quoted);
    }
}

gboolean lo_cmd_sysroot_list(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print a JSON array", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx =
        lo_option_context("",
                          "List the sysroots with their size, origin and creation date (--json:\n"
                          "also the date of the last import). Temporary folders left by a killed\n"
                          "or interrupted command are shown on stderr with their size.",
                          "Examples:\n  qemu-lorelei sysroot list\n  qemu-lorelei sysroot list "
                          "--json",
                          entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    g_autoptr(GPtrArray) all = lo_sysroot_list();
    warn_leftovers();
    if (json) {
        g_autoptr(cJSON) doc = cJSON_CreateArray();
        for (guint i = 0; i < all->len; i++) {
            const LoSysrootInfo *s = all->pdata[i];
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "name", s->name);
            cJSON_AddStringToObject(o, "path", s->path);
            if (s->size_known) {
                cJSON_AddNumberToObject(o, "size", (double)s->size);
            } else {
                cJSON_AddNullToObject(o, "size");
            }
            cJSON_AddStringToObject(o, "origin", s->origin);
            cJSON_AddStringToObject(o, "created", s->created);
            if (s->updated != NULL) {
                cJSON_AddStringToObject(o, "updated", s->updated);
            } else {
                cJSON_AddNullToObject(o, "updated");
            }
            cJSON_AddItemToObject(o, "source",
                                  s->source != NULL ? cJSON_Duplicate(s->source, TRUE)
                                                    : cJSON_CreateNull());
            cJSON_AddItemToArray(doc, o);
        }
        lo_print_json(doc);
        return TRUE;
    }
    if (all->len == 0) {
        g_autofree char *dir = lo_sysroots_dir();
        printf("no sysroots in %s\n", dir);
        g_autofree char *suite = lo_sysroot_suggested_suite();
        printf("create one: qemu-lorelei sysroot create NAME --from-debian %s\n", suite);
        return TRUE;
    }
    printf("%-20s %10s  %-20s  %s\n", "NAME", "SIZE", "CREATED", "ORIGIN");
    for (guint i = 0; i < all->len; i++) {
        const LoSysrootInfo *s = all->pdata[i];
        g_autofree char *size = s->size_known ? lo_human_size(s->size) : g_strdup("?");
        g_autofree char *date = g_strndup(s->created, 19);
        printf("%-20s %10s  %-20s  %s\n", s->name, size, date, s->origin);
    }
    return TRUE;
}

gboolean lo_cmd_sysroot_remove(int argc, char **argv, GError **error)
{
    g_autoptr(GOptionContext) ctx =
        lo_option_context("NAME",
                          "Delete the sysroot NAME and everything in it. A sysroot with something\n"
                          "mounted inside is refused (unmount it first). Ctrl-C, once the sysroot\n"
                          "is out of sight, finishes the removal; a second Ctrl-C stops at once.",
                          "Examples:\n  qemu-lorelei sysroot remove debian12", NULL);
    if (!lo_option_parse(ctx, &argc, &argv, error)) {
        return FALSE;
    }
    if (argc != 2) {
        lo_usage_error(error, argc < 2 ? "no sysroot name given" : "more than one name given");
        return FALSE;
    }
    g_autoptr(LoSysrootInfo) info = lo_sysroot_get_existing(argv[1], error);
    if (info == NULL) {
        return FALSE;
    }
    lo_autofd int lock = lo_sysroot_lock(argv[1], error);
    /* Refused before anything moves: a refused remove leaves it listed. */
    if (lock < 0 || !lo_sysroot_check_no_mounts(argv[1], info->path, error)) {
        return FALSE;
    }
    g_autofree char *parent = g_path_get_dirname(info->path);
    lo_clean_stale_temps(parent);
    /* Out of sight first, so no half-deleted sysroot is ever used. */
    lo_autofd int tmp_lock = -1;
    g_autofree char *tmp = lo_mkdtemp_beside(info->path, &tmp_lock, error);
    if (tmp == NULL) {
        return FALSE;
    }
    /* Once the sysroot is out of sight, stopping half way would only leave
     * gigabytes nobody sees, so Ctrl-C finishes the removal (a second one
     * stops at once; the next sysroot command removes the rest). The
     * signals are held from the rename until that handler is in place: one
     * arriving in between killed the process (seen under ASan). */
    g_autofree char *notice = g_strdup_printf(
        "\nqemu-lorelei: finishing the removal of sysroot '%s', which is no longer usable; "
        "Ctrl-C again stops at once and leaves the rest to the next sysroot command\n",
        argv[1]);
    sigset_t stop_signals, old_mask;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    sigprocmask(SIG_BLOCK, &stop_signals, &old_mask);
    if (rename(info->path, tmp) != 0) {
        int saved = errno;
        sigprocmask(SIG_SETMASK, &old_mask, NULL);
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot remove %s: %s", info->path,
                    g_strerror(saved));
        rmdir(tmp);
        return FALSE;
    }
    lo_interrupt_begin();
    lo_interrupt_set_notice(notice);
    sigprocmask(SIG_SETMASK, &old_mask, NULL);
    gboolean ok = lo_rm_rf(tmp, error);
    lo_interrupt_end();
    if (!ok) {
        return FALSE;
    }
    printf("removed sysroot '%s'\n", argv[1]);
    return TRUE;
}
