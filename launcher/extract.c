#include "extract.h"

#include "deb822.h"
#include "errors.h"
#include "fsutil.h"
#include "sandbox.h"
#include "util.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXTRACT_FLAGS                                                                              \
    (ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SECURE_NODOTDOT |             \
     ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS)

char *lo_extract_normalize_path(const char *path, const char **why)
{
    if (path == NULL || path[0] == '\0') {
        *why = "an entry without a name";
        return NULL;
    }
    if (path[0] == '/') {
        *why = "an absolute path";
        return NULL;
    }
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    GString *out = g_string_new(NULL);
    for (char **p = parts; *p != NULL; p++) {
        if ((*p)[0] == '\0' || strcmp(*p, ".") == 0) {
            continue;
        }
        if (strcmp(*p, "..") == 0) {
            *why = "a '..' component";
            g_string_free(out, TRUE);
            return NULL;
        }
        g_string_append_printf(out, "%s%s", out->len ? "/" : "", *p);
    }
    if (out->len >= PATH_MAX / 2) {
        *why = "a path that is too long";
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE); /* "" for the root itself */
}

char *lo_extract_rewrite_symlink(const char *link_path, const char *target, const char **why)
{
    if (target == NULL || target[0] == '\0') {
        *why = "a symbolic link to nothing";
        return NULL;
    }
    /* How many folders deep the link sits, below the sysroot's root. */
    int depth = 0;
    for (const char *p = link_path; *p != '\0'; p++) {
        depth += *p == '/';
    }
    gboolean absolute = target[0] == '/';
    g_auto(GStrv) parts = g_strsplit(target, "/", -1);
    GString *rest = g_string_new(NULL);
    int up = 0;
    for (char **p = parts; *p != NULL; p++) {
        if ((*p)[0] == '\0' || strcmp(*p, ".") == 0) {
            continue;
        }
        if (strcmp(*p, "..") == 0) {
            /* Only leading ".." of a relative link can be checked without
             * knowing what the other components resolve to; a ".." after a
             * name may climb out through a symbolic link. */
            if (absolute || rest->len > 0) {
                *why = "a symbolic link with '..' after a name";
                g_string_free(rest, TRUE);
                return NULL;
            }
            if (++up > depth) {
                *why = "a symbolic link pointing outside the sysroot";
                g_string_free(rest, TRUE);
                return NULL;
            }
            continue;
        }
        g_string_append_printf(rest, "%s%s", rest->len ? "/" : "", *p);
    }
    if (absolute) {
        up = depth; /* from the link's folder back to the sysroot's root */
    }
    GString *out = g_string_new(NULL);
    for (int i = 0; i < up; i++) {
        g_string_append(out, i ? "/.." : "..");
    }
    if (rest->len > 0) {
        g_string_append_printf(out, "%s%s", out->len ? "/" : "", rest->str);
    }
    if (out->len == 0) {
        g_string_append_c(out, '.');
    }
    g_string_free(rest, TRUE);
    return g_string_free(out, FALSE);
}

/* Refuses a path whose parent folders include a symbolic link (relative to
 * the current directory, which is the target during extraction). */
static gboolean parents_are_real(const char *rel, const char **why)
{
    g_autofree char *copy = g_strdup(rel);
    for (char *slash = strchr(copy, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        struct stat st;
        if (lstat(copy, &st) == 0 && !S_ISDIR(st.st_mode)) {
            *why = S_ISLNK(st.st_mode) ? "a path through a symbolic link"
                                       : "a path through something that is not a folder";
            return FALSE;
        }
        *slash = '/';
    }
    return TRUE;
}

static gboolean refuse(GError **error, const char *source, const char *entry, const char *why)
{
    g_autofree char *shown = lo_printable(entry != NULL ? entry : "", 120);
    g_autofree char *where = lo_printable(source, 120);
    g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s: refused entry '%s': %s", where, shown, why);
    lo_error_fix(error, "the archive is damaged or unsafe; nothing was imported. Use a "
                        "trustworthy copy");
    return FALSE;
}

static gboolean archive_failed(GError **error, const char *source, struct archive *a,
                               const char *what)
{
    if (lo_interrupted()) {
        /* A read cut short by the signal is not the archive's fault. */
        lo_set_interrupted_error(error, "nothing was imported");
        return FALSE;
    }
    g_autofree char *where = lo_printable(source, 120);
    const char *msg = a != NULL ? archive_error_string(a) : NULL;
    g_autofree char *shown = lo_printable(msg != NULL ? msg : "unknown error", 300);
    g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s: %s: %s", where, what, shown);
    lo_error_fix(error, "check that it is a complete tar(.gz/.xz/.zst/.bz2) archive or .deb "
                        "package");
    return FALSE;
}

static gboolean too_big(GError **error, const char *source, guint64 limit)
{
    g_autofree char *where = lo_printable(source, 120);
    g_autofree char *size = lo_human_size(limit);
    g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s expands to more than %s, the limit", where,
                size);
    lo_error_fix(error, "raise the limit with --max-size if the archive is trustworthy");
    return FALSE;
}

typedef struct {
    LoExtractor *x;
    const char *source;      /* for messages */
    struct archive *in;      /* entries come from here */
    struct archive *disk;    /* and are written here, relative to the cwd (the target) */
    struct archive *measure; /* whose compressed byte count shows progress */
    char member_buf[65536];  /* for reading a .deb's data.tar through the ar archive */
    struct archive *outer;
} Job;

/* The top-level folders that a merged /usr makes links into usr/. */
static const char *const merged_dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32", NULL};

static const char *merged_top(const char *path)
{
    for (const char *const *d = merged_dirs; *d != NULL; d++) {
        gsize n = strlen(*d);
        if (strncmp(path, *d, n) == 0 && (path[n] == '\0' || path[n] == '/')) {
            return *d;
        }
    }
    return NULL;
}

char *lo_extract_merge_usr_path(const char *path)
{
    return merged_top(path) != NULL ? g_strconcat("usr/", path, NULL) : g_strdup(path);
}

/* A symbolic link moved from orig to path by the /usr merge: its target,
 * resolved where the package put it, moved likewise, made relative to the
 * new place (lib/x/libfoo.so -> libfoo.so.1 stays "libfoo.so.1";
 * lib64/ld.so -> /lib/x/ld.so becomes "../lib/x/ld.so" in usr/lib64). */
static char *merged_link_target(const char *orig, const char *path, const char *target,
                                const char **why)
{
    g_autofree char *rel = lo_extract_rewrite_symlink(orig, target, why);
    if (rel == NULL) {
        return NULL;
    }
    g_autofree char *orig_dir = g_path_get_dirname(orig);
    g_autofree char *joined = g_build_filename("/", orig_dir, rel, NULL);
    g_autofree char *resolved = g_canonicalize_filename(joined, "/");
    g_autofree char *moved = lo_extract_merge_usr_path(resolved + 1);
    g_autofree char *moved_abs = g_strconcat("/", moved, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_autofree char *dir_abs = g_build_filename("/", dir, NULL);
    g_autofree char *relative = lo_relative_path(dir_abs, moved_abs);
    return lo_extract_rewrite_symlink(path, relative, why);
}

gboolean lo_extract_is_merged(const char *target)
{
    g_autofree char *lib = g_build_filename(target, "lib", NULL);
    g_autofree char *to = g_file_read_link(lib, NULL);
    return to != NULL && strcmp(to, "usr/lib") == 0;
}

gboolean lo_extract_finish_usr_merge(const char *target, GError **error)
{
    for (const char *const *d = merged_dirs; *d != NULL; d++) {
        g_autofree char *in_usr = g_build_filename(target, "usr", *d, NULL);
        g_autofree char *top = g_build_filename(target, *d, NULL);
        struct stat st;
        if (lstat(in_usr, &st) != 0 || !S_ISDIR(st.st_mode) || lstat(top, &st) == 0) {
            continue;
        }
        g_autofree char *link = g_strconcat("usr/", *d, NULL);
        if (symlink(link, top) != 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", top,
                        g_strerror(errno));
            return FALSE;
        }
    }
    return TRUE;
}

/* Fixes up an entry for writing; FALSE with error when it must be refused,
 * *skip when it is a kind of file a sysroot does not need. The cwd is the
 * target, so the lstat() calls look at what extraction wrote so far. */
static gboolean check_entry(Job *j, struct archive_entry *e, gboolean *skip, GError **error)
{
    const char *why = NULL;
    g_autofree char *raw = g_strdup(archive_entry_pathname(e));
    *skip = FALSE;
    g_autofree char *path = lo_extract_normalize_path(raw, &why);
    if (path == NULL) {
        return refuse(error, j->source, raw, why);
    }
    mode_t type = archive_entry_filetype(e);
    const char *hardlink = archive_entry_hardlink(e);
    if (path[0] == '\0') {
        *skip = TRUE; /* "./": the target itself */
        return TRUE;
    }
    if (hardlink == NULL && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
        j->x->skipped_special++;
        *skip = TRUE;
        return TRUE;
    }
    g_autofree char *orig = NULL;
    if (j->x->merge_usr) {
        const char *top = merged_top(path);
        /* A merged root's own lib -> usr/lib: the merge makes that link. */
        if (top != NULL && strcmp(path, top) == 0 && type != AE_IFDIR) {
            *skip = TRUE;
            return TRUE;
        }
        orig = g_steal_pointer(&path);
        path = lo_extract_merge_usr_path(orig);
    }
    if (!parents_are_real(path, &why)) {
        return refuse(error, j->source, raw, why);
    }
    if (++j->x->entries > j->x->max_entries) {
        g_autofree char *where = lo_printable(j->source, 120);
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "%s holds more than %" G_GUINT64_FORMAT " entries, the limit", where,
                    j->x->max_entries);
        lo_error_fix(error, "split it into several archives");
        return FALSE;
    }
    archive_entry_set_pathname(e, path);
    struct stat st;
    if (hardlink != NULL) {
        g_autofree char *link = lo_extract_normalize_path(hardlink, &why);
        if (link != NULL && j->x->merge_usr) {
            char *moved = lo_extract_merge_usr_path(link);
            g_free(link);
            link = moved;
        }
        if (link == NULL || link[0] == '\0') {
            return refuse(error, j->source, raw, link == NULL ? why : "a hard link to the root");
        }
        if (!parents_are_real(link, &why)) {
            return refuse(error, j->source, raw, why);
        }
        if (lstat(link, &st) != 0 || S_ISDIR(st.st_mode)) {
            return refuse(error, j->source, raw, "a hard link to an entry not extracted before");
        }
        /* A relative symbolic link means something else in another folder. */
        if (S_ISLNK(st.st_mode)) {
            return refuse(error, j->source, raw, "a hard link to a symbolic link");
        }
        archive_entry_set_hardlink(e, link);
        /* Data for a hard link would be written into the linked inode, which
         * `sysroot import` shares with the live sysroot. */
        archive_entry_set_size(e, 0);
    } else if (type == AE_IFLNK) {
        g_autofree char *target =
            orig != NULL ? merged_link_target(orig, path, archive_entry_symlink(e), &why)
                         : lo_extract_rewrite_symlink(path, archive_entry_symlink(e), &why);
        if (target == NULL) {
            return refuse(error, j->source, raw, why);
        }
        archive_entry_set_symlink(e, target);
    } else if (type == AE_IFREG) {
        la_int64_t size = archive_entry_size(e);
        if (size < 0 || (guint64)size > j->x->max_bytes - MIN(j->x->bytes, j->x->max_bytes)) {
            return too_big(error, j->source, j->x->max_bytes);
        }
    }
    /* Never set-user-ID, set-group-ID or sticky in a sysroot. */
    archive_entry_set_perm(e, archive_entry_perm(e) & 0777);
    /* Replace whatever is in the way, but never write through a symbolic link. */
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && unlink(path) != 0) {
        return refuse(error, j->source, raw, "cannot replace an existing symbolic link");
    }
    return TRUE;
}

static void show_progress(Job *j, const char *item)
{
    if (j->x->progress == NULL) {
        return;
    }
    gint64 done = j->measure != NULL ? archive_filter_bytes(j->measure, -1) : (gint64)j->x->bytes;
    lo_progress_update(j->x->progress, j->x->progress_base + MAX(done, 0), item);
}

static gboolean copy_data(Job *j, GError **error)
{
    const void *buf;
    size_t size;
    la_int64_t offset;
    for (;;) {
        if (lo_interrupted()) {
            lo_set_interrupted_error(error, "nothing was imported");
            return FALSE;
        }
        int r = archive_read_data_block(j->in, &buf, &size, &offset);
        if (r == ARCHIVE_EOF) {
            return TRUE;
        }
        if (r < ARCHIVE_WARN) {
            return archive_failed(error, j->source, j->in, "cannot read");
        }
        j->x->bytes += size;
        if (j->x->bytes > j->x->max_bytes) {
            return too_big(error, j->source, j->x->max_bytes);
        }
        if (archive_write_data_block(j->disk, buf, size, offset) < ARCHIVE_WARN) {
            return archive_failed(error, j->source, j->disk, "cannot write");
        }
        show_progress(j, NULL);
    }
}

static gboolean extract_entries(Job *j, gpointer unused, GError **error)
{
    (void)unused;
    struct archive_entry *e = archive_entry_new();
    gboolean ok = TRUE;
    while (ok) {
        if (lo_interrupted()) {
            lo_set_interrupted_error(error, "nothing was imported");
            ok = FALSE;
            break;
        }
        archive_entry_clear(e);
        int r = archive_read_next_header2(j->in, e);
        if (r == ARCHIVE_EOF) {
            break;
        }
        if (r < ARCHIVE_WARN) {
            ok = archive_failed(error, j->source, j->in, "cannot read");
            break;
        }
        gboolean skip;
        if (!check_entry(j, e, &skip, error)) {
            ok = FALSE;
            break;
        }
        if (skip) {
            continue;
        }
        show_progress(j, archive_entry_pathname(e));
        if (archive_write_header(j->disk, e) < ARCHIVE_WARN) {
            ok = archive_failed(error, j->source, j->disk, "cannot extract");
            break;
        }
        if (archive_entry_filetype(e) == AE_IFREG && archive_entry_hardlink(e) == NULL &&
            archive_entry_size(e) > 0) {
            ok = copy_data(j, error);
        }
        if (ok && archive_write_finish_entry(j->disk) < ARCHIVE_WARN) {
            ok = archive_failed(error, j->source, j->disk, "cannot extract");
        }
    }
    archive_entry_free(e);
    return ok;
}

/* Runs body (which writes through j->disk) with the target as the working
 * directory, so libarchive's secure flags judge paths relative to it. */
static gboolean extract_in_target(Job *j, gboolean (*body)(Job *j, gpointer data, GError **error),
                                  gpointer data, GError **error)
{
    int saved_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (saved_cwd < 0 || chdir(j->x->target) != 0) {
        int err = errno;
        if (saved_cwd >= 0) {
            close(saved_cwd);
        }
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot enter %s: %s", j->x->target,
                    g_strerror(err));
        return FALSE;
    }
    j->disk = archive_write_disk_new();
    archive_write_disk_set_options(j->disk, EXTRACT_FLAGS);
    gboolean ok = body(j, data, error);
    /* close applies the deferred folder permissions and times. */
    if (archive_write_close(j->disk) != ARCHIVE_OK && ok) {
        ok = archive_failed(error, j->source, j->disk, "cannot finish writing");
    }
    archive_write_free(j->disk);
    j->disk = NULL;
    if (fchdir(saved_cwd) != 0) {
        /* Nothing sensible can follow in an unknown working directory. */
        g_error("cannot return to the previous working directory: %s", g_strerror(errno));
    }
    close(saved_cwd);
    return ok;
}

static void enable_tar(struct archive *a)
{
    /* Only formats and filters built into libarchive: "all" would include
     * filters that run external programs. */
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_lzma(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_bzip2(a);
}

/* Feeds a .deb's data.tar.* member to the inner tar reader. */
static la_ssize_t read_member(struct archive *a, void *data, const void **buf)
{
    (void)a;
    Job *j = data;
    *buf = j->member_buf;
    return archive_read_data(j->outer, j->member_buf, sizeof(j->member_buf));
}

#define CONTROL_MAX_BYTES (256 * 1024)

/* The control file of a .deb's control.tar.* member (the current member of
 * j->outer), or NULL with error. */
static char *read_control(Job *j, gsize *len, GError **error)
{
    struct archive *in = archive_read_new();
    enable_tar(in);
    char *text = NULL;
    if (archive_read_open(in, j, NULL, read_member, NULL) != ARCHIVE_OK) {
        archive_failed(error, j->source, in, "cannot read its control.tar");
        archive_read_free(in);
        return NULL;
    }
    struct archive_entry *e;
    int r;
    while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK) {
        const char *why;
        g_autofree char *path = lo_extract_normalize_path(archive_entry_pathname(e), &why);
        if (path == NULL || strcmp(path, "control") != 0 || archive_entry_filetype(e) != AE_IFREG) {
            continue;
        }
        if (archive_entry_size(e) > CONTROL_MAX_BYTES) {
            g_autofree char *where = lo_printable(j->source, 120);
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "%s: its control file is larger than %d bytes", where, CONTROL_MAX_BYTES);
            break;
        }
        text = g_malloc(CONTROL_MAX_BYTES + 1);
        la_ssize_t n = archive_read_data(in, text, CONTROL_MAX_BYTES);
        if (n < 0) {
            archive_failed(error, j->source, in, "cannot read its control file");
            g_clear_pointer(&text, g_free);
        } else {
            *len = n;
        }
        break;
    }
    if (text == NULL && error != NULL && *error == NULL) {
        if (r < ARCHIVE_WARN && r != ARCHIVE_EOF) {
            archive_failed(error, j->source, in, "cannot read its control.tar");
        } else {
            g_autofree char *where = lo_printable(j->source, 120);
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "%s: not a Debian package: its control.tar has no control file", where);
        }
    }
    archive_read_free(in);
    return text;
}

/* A sysroot takes amd64 packages and architecture-independent ones. */
static gboolean check_control(Job *j, const char *text, gsize len, GError **error)
{
    const LoDeb822Limits limits = {CONTROL_MAX_BYTES, 1, 256, CONTROL_MAX_BYTES, FALSE};
    g_autoptr(GPtrArray) stanzas =
        lo_deb822_parse_all(text, len, &limits, "its control file", error);
    g_autofree char *where = lo_printable(j->source, 120);
    if (stanzas == NULL) {
        g_prefix_error(error, "%s: ", where);
        lo_error_fix(error, "the package is damaged; nothing was imported");
        return FALSE;
    }
    const LoDeb822Stanza *s = stanzas->len > 0 ? stanzas->pdata[0] : NULL;
    const char *arch = lo_deb822_get(s, "Architecture");
    const char *package = lo_deb822_get(s, "Package");
    g_autofree char *name = lo_printable(package != NULL ? package : "PACKAGE", 80);
    if (arch == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "%s: not a Debian package: its control file has no Architecture field", where);
        lo_error_fix(error, "give .deb files (binary packages) or tar archives");
        return FALSE;
    }
    if (strcmp(arch, "amd64") != 0 && strcmp(arch, "all") != 0) {
        g_autofree char *shown = lo_printable(arch, 40);
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "%s is a package for %s (its control file says Architecture: %s), but an "
                    "x86_64 sysroot takes only amd64 and 'all' packages",
                    where, shown, shown);
        lo_error_fix(error,
                     "use the amd64 build, e.g. apt-get download %s:amd64; nothing was "
                     "imported",
                     name);
        return FALSE;
    }
    return TRUE;
}

static gboolean extract_deb(Job *j, GError **error)
{
    struct archive_entry *e;
    gboolean control_checked = FALSE;
    for (;;) {
        int r = archive_read_next_header(j->outer, &e);
        if (r == ARCHIVE_EOF) {
            g_autofree char *where = lo_printable(j->source, 120);
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "%s: not a Debian package: it has no data.tar member", where);
            lo_error_fix(error, "give .deb files (binary packages) or tar archives");
            return FALSE;
        }
        if (r < ARCHIVE_WARN) {
            return archive_failed(error, j->source, j->outer, "cannot read");
        }
        const char *name = archive_entry_pathname(e);
        if (name != NULL && g_str_has_prefix(name, "control.tar") && !control_checked) {
            gsize len = 0;
            g_autofree char *control = read_control(j, &len, error);
            if (control == NULL || !check_control(j, control, len, error)) {
                return FALSE;
            }
            control_checked = TRUE;
        }
        if (name != NULL && g_str_has_prefix(name, "data.tar")) {
            if (!control_checked) {
                g_autofree char *where = lo_printable(j->source, 120);
                g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                            "%s: not a Debian package: no control.tar member before its data",
                            where);
                lo_error_fix(error, "give .deb files (binary packages) or tar archives");
                return FALSE;
            }
            break;
        }
    }
    j->in = archive_read_new();
    enable_tar(j->in);
    gboolean ok = archive_read_open(j->in, j, NULL, read_member, NULL) == ARCHIVE_OK;
    if (!ok) {
        archive_failed(error, j->source, j->in, "cannot read its data.tar");
    } else {
        j->measure = j->outer;
        ok = extract_in_target(j, extract_entries, NULL, error);
    }
    archive_read_free(j->in);
    j->in = NULL;
    return ok;
}

static gboolean is_ar(const void *head, gsize n)
{
    return n >= 8 && memcmp(head, "!<arch>\n", 8) == 0;
}

/* An archive file read through our own callback: it hands out the bytes
 * already read to recognize the format first (so pipes and FIFOs work, which
 * cannot be opened twice), and a read cut short by SIGINT ends the import
 * instead of being retried the way libarchive's own file reader does. */
typedef struct {
    int fd;
    unsigned char head[8];
    gsize head_len;
    gboolean head_given;
    char buf[65536];
} FileSource;

static gssize read_retrying(int fd, void *buf, gsize len)
{
    for (;;) {
        ssize_t n = read(fd, buf, len);
        if (n >= 0 || errno != EINTR || lo_interrupted()) {
            return n;
        }
    }
}

static la_ssize_t file_source_read(struct archive *a, void *data, const void **buf)
{
    FileSource *f = data;
    if (!f->head_given) {
        f->head_given = TRUE;
        if (f->head_len > 0) {
            *buf = f->head;
            return (la_ssize_t)f->head_len;
        }
    }
    gssize n = read_retrying(f->fd, f->buf, sizeof(f->buf));
    if (n < 0) {
        archive_set_error(a, errno, "%s", g_strerror(errno));
        return -1;
    }
    *buf = f->buf;
    return n;
}

/* Fills the head with up to 8 bytes (a FIFO may deliver fewer at a time). */
static gboolean read_head(FileSource *f)
{
    while (f->head_len < sizeof(f->head)) {
        gssize n = read_retrying(f->fd, f->head + f->head_len, sizeof(f->head) - f->head_len);
        if (n < 0) {
            return FALSE;
        }
        if (n == 0) {
            break;
        }
        f->head_len += n;
    }
    return TRUE;
}

/* Extracts an archive given as a file (path) or in memory (data). */
static gboolean extract_archive(LoExtractor *x, const char *path, const void *data, gsize size,
                                const char *name, GError **error)
{
    FileSource *source = NULL;
    const void *head = data;
    gsize head_len = size;
    if (path != NULL) {
        source = g_new0(FileSource, 1);
        source->fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (source->fd < 0 || !read_head(source)) {
            int err = errno;
            if (source->fd >= 0) {
                close(source->fd);
            }
            g_free(source);
            if (lo_interrupted()) {
                lo_set_interrupted_error(error, "nothing was imported");
                return FALSE;
            }
            g_set_error(error, LO_ERROR, err == ENOENT ? LO_EXIT_NOT_FOUND : LO_EXIT_FAILURE,
                        "cannot read %s: %s", path, g_strerror(err));
            lo_error_fix(error, "check the archive's path");
            if (err == ENOENT || err == EACCES) {
                lo_error_fix_sandbox_path(error, path, FALSE);
            }
            return FALSE;
        }
        head = source->head;
        head_len = source->head_len;
    }
    struct archive *a = archive_read_new();
    gboolean deb = is_ar(head, head_len);
    if (deb) {
        archive_read_support_format_ar(a);
    } else {
        enable_tar(a);
    }
    int r = source != NULL ? archive_read_open(a, source, NULL, file_source_read, NULL)
                           : archive_read_open_memory(a, data, size);
    gboolean ok;
    if (r != ARCHIVE_OK) {
        ok = archive_failed(error, name, a, "cannot open");
    } else {
        Job *j = g_new0(Job, 1);
        j->x = x;
        j->source = name;
        if (deb) {
            j->outer = a;
            ok = extract_deb(j, error);
        } else {
            j->in = a;
            j->measure = a;
            ok = extract_in_target(j, extract_entries, NULL, error);
        }
        g_free(j);
    }
    archive_read_free(a);
    if (source != NULL) {
        close(source->fd);
        g_free(source);
    }
    return ok;
}

gboolean lo_extract_file(LoExtractor *x, const char *path, GError **error)
{
    return extract_archive(x, path, NULL, 0, path, error);
}

gboolean lo_extract_file_named(LoExtractor *x, const char *path, const char *name, GError **error)
{
    return extract_archive(x, path, NULL, 0, name, error);
}

gboolean lo_extract_memory(LoExtractor *x, const void *data, gsize size, const char *name,
                           GError **error)
{
    return extract_archive(x, NULL, data, size, name, error);
}

/* Writes one entry of a directory source; fd is the open file for data. */
static gboolean copy_one(Job *j, struct archive_entry *e, int fd, GError **error)
{
    gboolean skip;
    if (!check_entry(j, e, &skip, error)) {
        return FALSE;
    }
    if (skip) {
        return TRUE;
    }
    show_progress(j, archive_entry_pathname(e));
    if (archive_write_header(j->disk, e) < ARCHIVE_WARN) {
        return archive_failed(error, j->source, j->disk, "cannot copy");
    }
    char buf[65536];
    while (fd >= 0 && archive_entry_filetype(e) == AE_IFREG) {
        if (lo_interrupted()) {
            lo_set_interrupted_error(error, "nothing was imported");
            return FALSE;
        }
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "%s: cannot read %s: %s", j->source,
                        archive_entry_pathname(e), g_strerror(errno));
            return FALSE;
        }
        if (n == 0) {
            break;
        }
        j->x->bytes += n;
        if (j->x->bytes > j->x->max_bytes) {
            return too_big(error, j->source, j->x->max_bytes);
        }
        if (archive_write_data(j->disk, buf, n) < 0) {
            return archive_failed(error, j->source, j->disk, "cannot copy");
        }
        show_progress(j, NULL);
    }
    if (archive_write_finish_entry(j->disk) < ARCHIVE_WARN) {
        return archive_failed(error, j->source, j->disk, "cannot copy");
    }
    return TRUE;
}

/* Copies the tree under dirfd (at rel inside the source) entry by entry.
 * Everything is opened relative to dirfd with O_NOFOLLOW: the working
 * directory is the target, and symbolic links are copied, not followed. */
static gboolean copy_tree(Job *j, int dirfd, const char *rel, dev_t dev, int depth, GError **error)
{
    if (depth > 128) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "%s: folders nested deeper than 128 at %s",
                    j->source, rel);
        return FALSE;
    }
    g_autoptr(GPtrArray) names = lo_list_dir_fd(dirfd);
    if (names == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "%s: cannot list %s: %s", j->source, rel,
                    g_strerror(errno));
        return FALSE;
    }
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *path = g_strconcat(rel, "/", name, NULL);
        struct stat st;
        if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            continue; /* vanished meanwhile */
        }
        struct archive_entry *e = archive_entry_new();
        archive_entry_copy_stat(e, &st);
        archive_entry_set_pathname(e, path);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        int fd = -1;
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
            target[n > 0 ? n : 0] = '\0';
            archive_entry_set_symlink(e, target);
        } else if (S_ISREG(st.st_mode)) {
            fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
            if (fd < 0) {
                g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "%s: cannot read %s: %s", j->source,
                            path, g_strerror(errno));
                ok = FALSE;
            }
        }
        ok = ok && copy_one(j, e, fd, error);
        if (fd >= 0) {
            close(fd);
        }
        archive_entry_free(e);
        /* Other file systems (a /proc under a live root) are not entered. */
        if (ok && S_ISDIR(st.st_mode) && st.st_dev == dev) {
            int sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0) {
                ok = copy_tree(j, sub, path, dev, depth + 1, error);
                close(sub);
            }
        }
    }
    return ok;
}

typedef struct {
    int fd;
    dev_t dev;
} TreeSource;

static gboolean copy_source_tree(Job *j, gpointer data, GError **error)
{
    TreeSource *t = data;
    return copy_tree(j, t->fd, ".", t->dev, 0, error);
}

gboolean lo_extract_dir(LoExtractor *x, const char *dir, GError **error)
{
    TreeSource t = {open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0};
    struct stat st;
    if (t.fd < 0 || fstat(t.fd, &st) != 0) {
        if (t.fd >= 0) {
            close(t.fd);
        }
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "%s is not a folder", dir);
        lo_error_fix(error, "give the folder holding the x86_64 root file system");
        lo_error_fix_sandbox_path(error, dir, TRUE);
        return FALSE;
    }
    t.dev = st.st_dev;
    Job *j = g_new0(Job, 1);
    j->x = x;
    j->source = dir;
    gboolean ok = extract_in_target(j, copy_source_tree, &t, error);
    close(t.fd);
    g_free(j);
    return ok;
}

typedef struct {
    const LoHostFile *files;
    gsize n;
    guint missing, unreadable;
    char *first_problem;
} HostFiles;

static void note_problem(HostFiles *h, guint *counter, const char *path, const char *why)
{
    (*counter)++;
    if (h->first_problem == NULL) {
        g_autofree char *shown = lo_printable(path, 200);
        h->first_problem = g_strdup_printf("%s: %s", shown, why);
    }
}

static gboolean copy_host_files(Job *j, gpointer data, GError **error)
{
    HostFiles *h = data;
    for (gsize i = 0; i < h->n; i++) {
        const LoHostFile *f = &h->files[i];
        struct stat st;
        if (lo_interrupted()) {
            lo_set_interrupted_error(error, "nothing was created");
            return FALSE;
        }
        /* Folders are followed (the host's /lib may be a link to usr/lib),
         * anything else is copied as it is. */
        int r = f->as_dir ? stat(f->from, &st) : lstat(f->from, &st);
        if (r != 0) {
            note_problem(h, &h->missing, f->from, g_strerror(errno));
            continue;
        }
        if (f->as_dir && !S_ISDIR(st.st_mode)) {
            st.st_mode = S_IFDIR | 0755;
        }
        struct archive_entry *e = archive_entry_new();
        archive_entry_copy_stat(e, &st);
        archive_entry_set_pathname(e, f->path + strspn(f->path, "/"));
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        archive_entry_set_nlink(e, 1);
        int fd = -1;
        gboolean ok = TRUE;
        if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t len = readlink(f->from, target, sizeof(target) - 1);
            target[len > 0 ? len : 0] = '\0';
            archive_entry_set_symlink(e, target);
        } else if (S_ISREG(st.st_mode)) {
            fd = open(f->from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
            if (fd < 0) {
                note_problem(h, &h->unreadable, f->from, g_strerror(errno));
                archive_entry_free(e);
                continue;
            }
        }
        ok = copy_one(j, e, fd, error);
        if (fd >= 0) {
            close(fd);
        }
        archive_entry_free(e);
        if (!ok) {
            return FALSE;
        }
    }
    return TRUE;
}

gboolean lo_extract_host_files(LoExtractor *x, const LoHostFile *files, gsize n, const char *source,
                               guint *missing, guint *unreadable, char **first_problem,
                               GError **error)
{
    HostFiles h = {files, n, 0, 0, NULL};
    Job *j = g_new0(Job, 1);
    j->x = x;
    j->source = source;
    gboolean ok = extract_in_target(j, copy_host_files, &h, error);
    g_free(j);
    *missing = h.missing;
    *unreadable = h.unreadable;
    *first_problem = h.first_problem;
    return ok;
}
