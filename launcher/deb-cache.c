#include "deb-cache.h"

#include "errors.h"
#include "fsutil.h"
#include "paths.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

char *lo_cache_subdir(const char *sub)
{
    g_autofree char *top = lo_cache_dir();
    return g_build_filename(top, sub, NULL);
}

static gboolean matches(const char *path, const LoCacheItem *item)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || (guint64)st.st_size != item->size) {
        return FALSE;
    }
    g_autofree char *sha = lo_sha256_file(path, NULL);
    return sha != NULL && strcmp(sha, item->sha256) == 0;
}

guint64 lo_cache_have(const char *dir, const LoCacheItem *item)
{
    g_autofree char *final = g_build_filename(dir, item->sha256, NULL);
    g_autofree char *partial = g_strconcat(final, ".partial", NULL);
    struct stat st;
    if (stat(final, &st) == 0 && (guint64)st.st_size == item->size) {
        return item->size;
    }
    if (stat(partial, &st) == 0 && (guint64)st.st_size <= item->size) {
        return st.st_size;
    }
    return 0;
}

/* Waits for the lock on a partial file another process may hold. */
static gboolean lock(int fd, const LoCacheItem *item, GError **error)
{
    gboolean told = FALSE;
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot lock the cache file of %s: %s",
                        item->what, g_strerror(errno));
            return FALSE;
        }
        if (lo_interrupted()) {
            lo_set_interrupted_error(error, "nothing was created");
            return FALSE;
        }
        if (!told) {
            g_printerr("qemu-lorelei: waiting for another qemu-lorelei that downloads %s\n",
                       item->what);
            told = TRUE;
        }
        g_usleep(100 * 1000);
    }
    return TRUE;
}

static gboolean mismatch(GError **error, const LoCacheItem *item, const char *path)
{
    struct stat st;
    guint64 got_size = stat(path, &st) == 0 ? (guint64)st.st_size : 0;
    g_autofree char *url = lo_printable(item->url, 200);
    if (got_size != item->size) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s (%s) has %" G_GUINT64_FORMAT " bytes, but %s says %" G_GUINT64_FORMAT
                    ": the mirror's copy is damaged or was tampered with",
                    item->what, url, got_size, item->listed_in, item->size);
    } else {
        g_autofree char *sha = lo_sha256_file(path, NULL);
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s (%s) does not match the SHA256 in %s (got %s, expected %s): the mirror's "
                    "copy is damaged or was tampered with",
                    item->what, url, item->listed_in, sha != NULL ? sha : "?", item->sha256);
    }
    lo_error_note(error, "the bad copy was deleted from the cache");
    lo_error_fix(error, "run the command again (a mirror in the middle of an update serves "
                        "mixed files); if it happens again, use another mirror with --mirror URL");
    return FALSE;
}

/* Brings the partial file open at fd to item->size bytes. */
static gboolean complete(int fd, const LoCacheItem *item, const LoDownload *net, LoCacheHow *how,
                         GError **error)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot inspect the cache file of %s: %s",
                    item->what, g_strerror(errno));
        return FALSE;
    }
    guint64 offset = st.st_size;
    if (offset > item->size) {
        offset = 0;
    }
    *how = offset > 0 ? LO_CACHE_RESUMED : LO_CACHE_DOWNLOADED;
    LoDownload d = *net;
    d.url = item->url;
    d.what = item->what;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (ftruncate(fd, offset) != 0 || lseek(fd, offset, SEEK_SET) < 0) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot write the cache file of %s: %s",
                        item->what, g_strerror(errno));
            return FALSE;
        }
        if (offset == item->size) {
            return TRUE;
        }
        gboolean restart = FALSE;
        g_autoptr(GError) local = NULL;
        if (lo_download_append(&d, fd, offset, item->size, &restart, &local)) {
            return TRUE;
        }
        if (!restart) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        offset = 0; /* the server cannot resume: start again */
        *how = LO_CACHE_DOWNLOADED;
    }
    g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s: the server refused to send it whole",
                item->what);
    return FALSE;
}

char *lo_cache_get(const char *dir, const LoCacheItem *item, const LoDownload *net, LoCacheHow *how,
                   GError **error)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create the cache folder %s: %s", dir,
                    g_strerror(errno));
        return NULL;
    }
    g_autofree char *final = g_build_filename(dir, item->sha256, NULL);
    g_autofree char *partial = g_strconcat(final, ".partial", NULL);
    *how = LO_CACHE_HIT;
    if (matches(final, item)) {
        return g_steal_pointer(&final);
    }
    unlink(final); /* damaged: never used */
    int fd = open(partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", partial,
                    g_strerror(errno));
        return NULL;
    }
    gboolean ok = lock(fd, item, error);
    /* Another process may have finished it while this one waited. */
    if (ok && matches(final, item)) {
        close(fd);
        return g_steal_pointer(&final);
    }
    for (int round = 0; ok; round++) {
        ok = complete(fd, item, net, how, error);
        struct stat st;
        /* Nothing to resume, or more than there should be. */
        if (!ok && fstat(fd, &st) == 0 && (st.st_size == 0 || (guint64)st.st_size >= item->size)) {
            unlink(partial);
        }
        if (!ok || matches(partial, item)) {
            break;
        }
        /* A resumed file may have a bad beginning: once more from scratch. */
        if (*how == LO_CACHE_RESUMED && round == 0) {
            if (ftruncate(fd, 0) != 0) {
                ok = FALSE;
            }
            continue;
        }
        ok = mismatch(error, item, partial);
        unlink(partial);
    }
    if (ok && rename(partial, final) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot store %s in the cache: %s",
                    item->what, g_strerror(errno));
        ok = FALSE;
    }
    close(fd);
    return ok ? g_steal_pointer(&final) : NULL;
}
