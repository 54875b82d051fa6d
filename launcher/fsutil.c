#include "fsutil.h"

#include "errors.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static gboolean fail_errno(GError **error, int err, const char *what, const char *path)
{
    g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot %s %s: %s", what, path, g_strerror(err));
    return FALSE;
}

GPtrArray *lo_list_dir_fd(int fd)
{
    /* fdopendir() takes over the descriptor it gets: give it a copy. */
    int dup_fd = dup(fd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    if (d == NULL) {
        if (dup_fd >= 0) {
            close(dup_fd);
        }
        return NULL;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            g_ptr_array_add(names, g_strdup(e->d_name));
        }
    }
    closedir(d);
    g_ptr_array_sort(names, lo_compare_strings);
    return names;
}

static int rm_at(int dirfd, const char *name, dev_t dev, const char *top, GError **error)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) {
            return 0;
        }
        fail_errno(error, errno, "inspect", top);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) != 0 && errno != ENOENT) {
            fail_errno(error, errno, "remove a file under", top);
            return -1;
        }
        return 0;
    }
    if (st.st_dev != dev) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE,
                    "%s has another file system mounted inside; not removing it", top);
        lo_error_fix(error, "unmount it first");
        return -1;
    }
    /* Owner rwx so the entries can be listed and removed. */
    fchmodat(dirfd, name, (st.st_mode & 07777) | S_IRWXU, 0);
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        fail_errno(error, errno, "open a folder under", top);
        return -1;
    }
    g_autoptr(GPtrArray) names = lo_list_dir_fd(fd);
    for (guint i = 0; names != NULL && i < names->len; i++) {
        if (rm_at(fd, names->pdata[i], dev, top, error) != 0) {
            close(fd);
            return -1;
        }
    }
    close(fd);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) != 0 && errno != ENOENT) {
        fail_errno(error, errno, "remove a folder under", top);
        return -1;
    }
    return 0;
}

gboolean lo_rm_rf(const char *path, GError **error)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        return errno == ENOENT ? TRUE : fail_errno(error, errno, "inspect", path);
    }
    g_autofree char *parent = g_path_get_dirname(path);
    g_autofree char *base = g_path_get_basename(path);
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return fail_errno(error, errno, "open", parent);
    }
    int r = rm_at(fd, base, st.st_dev, path, error);
    close(fd);
    return r == 0;
}

char *lo_mkdtemp_beside(const char *target, GError **error)
{
    g_autofree char *parent = g_path_get_dirname(target);
    g_autofree char *base = g_path_get_basename(target);
    char *path = g_strdup_printf("%s/.%s.tmp-%ld-XXXXXX", parent, base, (long)getpid());
    if (g_mkdtemp(path) == NULL) {
        int saved = errno;
        g_free(path);
        fail_errno(error, saved, "create a temporary folder in", parent);
        return NULL;
    }
    return path;
}

void lo_clean_stale_temps(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        const char *tag = name[0] == '.' ? strstr(name, ".tmp-") : NULL;
        if (tag == NULL) {
            continue;
        }
        char *end = NULL;
        long pid = strtol(tag + 5, &end, 10);
        if (pid <= 0 || end == NULL || *end != '-' || pid == getpid()) {
            continue;
        }
        if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            g_autofree char *path = g_build_filename(dir, name, NULL);
            lo_rm_rf(path, NULL);
        }
    }
}

gboolean lo_rename_new(const char *new_dir, const char *target, GError **error)
{
    if (renameat2(AT_FDCWD, new_dir, AT_FDCWD, target, RENAME_NOREPLACE) == 0) {
        return TRUE;
    }
    int saved = errno;
    if (saved == EEXIST || saved == ENOTEMPTY) {
        g_set_error(error, LO_ERROR, LO_EXIT_EXISTS, "%s appeared while it was being made", target);
        return FALSE;
    }
    return fail_errno(error, saved, "move the new copy to", target);
}

gboolean lo_replace_dir(const char *new_dir, const char *target, GError **error)
{
    if (renameat2(AT_FDCWD, new_dir, AT_FDCWD, target, RENAME_NOREPLACE) == 0) {
        return TRUE;
    }
    if (errno != EEXIST) {
        return fail_errno(error, errno, "move the new copy to", target);
    }
    if (renameat2(AT_FDCWD, new_dir, AT_FDCWD, target, RENAME_EXCHANGE) != 0) {
        return fail_errno(error, errno, "swap in the new copy at", target);
    }
    /* new_dir now holds the old copy. */
    return lo_rm_rf(new_dir, error);
}

static guint64 size_at(int dirfd, const char *name, int depth)
{
    struct stat st;
    if (depth > 256 || fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        return 0;
    }
    if (S_ISREG(st.st_mode)) {
        return st.st_size;
    }
    if (!S_ISDIR(st.st_mode)) {
        return 0;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    guint64 total = 0;
    g_autoptr(GPtrArray) names = lo_list_dir_fd(fd);
    for (guint i = 0; names != NULL && i < names->len; i++) {
        total += size_at(fd, names->pdata[i], depth + 1);
    }
    close(fd);
    return total;
}

guint64 lo_tree_size(const char *path)
{
    return size_at(AT_FDCWD, path, 0);
}

gboolean lo_sync_tree(const char *path, GError **error)
{
    /* One syncfs() flushes every file and folder of the tree (and anything
     * else dirty on that file system): a sysroot can hold 100 000 files,
     * and an fsync() each would take minutes. */
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return fail_errno(error, errno, "open", path);
    }
    gboolean ok = syncfs(fd) == 0 || fail_errno(error, errno, "write to disk", path);
    close(fd);
    return ok;
}

static volatile sig_atomic_t interrupted;
/* Nested begin/end pairs: only the outermost installs and restores. */
static int interrupt_depth;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

void lo_interrupt_begin(void)
{
    if (interrupt_depth++ > 0) {
        return;
    }
    interrupted = 0;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    /* No SA_RESTART: a blocked read returns EINTR and the loop sees the flag.
     * SA_RESETHAND: a second Ctrl-C kills at once. */
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void lo_interrupt_end(void)
{
    if (--interrupt_depth > 0) {
        return;
    }
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}

gboolean lo_interrupted(void)
{
    return interrupted != 0;
}

void lo_set_interrupted_error(GError **error, const char *what_was_undone)
{
    g_set_error(error, LO_ERROR, LO_EXIT_INTERRUPTED, "interrupted: %s", what_was_undone);
}
