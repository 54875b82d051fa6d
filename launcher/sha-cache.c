#include "sha-cache.h"

#include "json-util.h"
#include "paths.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Hashing longer than this is worth a word on stderr. */
#define SLOW_HASH_USEC (G_USEC_PER_SEC / 2)

static char *cache_path(void)
{
    g_autofree char *dir = lo_cache_dir();
    return g_build_filename(dir, "sha256-cache", NULL);
}

/* The line's key part for a file: everything but the sha256. */
static char *key_of(const struct stat *st)
{
    return g_strdup_printf("%" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64 "%09ld %" PRId64 "%09ld",
                           (uint64_t)st->st_dev, (uint64_t)st->st_ino, (int64_t)st->st_size,
                           (int64_t)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
                           (int64_t)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* The cache's lines that are well formed, oldest first. */
static GPtrArray *read_lines(void)
{
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *path = cache_path();
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!lo_read_file_limited(path, 64 * 1024, &text, &len, NULL) || memchr(text, '\0', len)) {
        return lines;
    }
    g_auto(GStrv) all = g_strsplit(text, "\n", -1);
    for (char **l = all; *l != NULL; l++) {
        g_auto(GStrv) f = g_strsplit(*l, " ", -1);
        gboolean ok = g_strv_length(f) == 6;
        for (int i = 0; ok && i < 5; i++) {
            ok = f[i][0] != '\0' && strspn(f[i], "0123456789") == strlen(f[i]);
        }
        if (ok && strlen(f[5]) == 64 && strspn(f[5], "0123456789abcdef") == 64) {
            g_ptr_array_add(lines, g_strdup(*l));
        }
    }
    return lines;
}

char *lo_sha_cache_lookup(const struct stat *st)
{
    g_autofree char *key = key_of(st);
    gsize n = strlen(key);
    g_autoptr(GPtrArray) lines = read_lines();
    for (guint i = lines->len; i-- > 0;) {
        const char *l = lines->pdata[i];
        if (strncmp(l, key, n) == 0 && l[n] == ' ') {
            return g_strdup(l + n + 1);
        }
    }
    return NULL;
}

char *lo_sha256_cached(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? lo_sha_cache_lookup(&st) : NULL;
}

void lo_sha_cache_store(const struct stat *st, const char *sha256)
{
    g_autofree char *key = key_of(st);
    gsize n = strlen(key);
    g_autoptr(GPtrArray) lines = read_lines();
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < lines->len; i++) {
        const char *l = lines->pdata[i];
        gboolean same_file = strncmp(l, key, n) == 0 && l[n] == ' ';
        /* The newest LO_SHA_CACHE_ENTRIES - 1 others stay. */
        if (!same_file && lines->len - i < LO_SHA_CACHE_ENTRIES) {
            g_string_append_printf(out, "%s\n", l);
        }
    }
    g_string_append_printf(out, "%s %s\n", key, sha256);
    g_autofree char *path = cache_path();
    g_autofree char *dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0700) == 0) {
        g_file_set_contents(path, out->str, (gssize)out->len, NULL);
    }
    g_string_free(out, TRUE);
}

char *lo_sha256_of_game(int fd, const char *path, GError **error)
{
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int saved = errno;
        g_autofree char *shown = lo_printable(path, 200);
        g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot read %s: %s",
                    shown, g_strerror(saved));
        return NULL;
    }
    char *sha = lo_sha_cache_lookup(&st);
    if (sha != NULL) {
        return sha;
    }
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    gint64 start = g_get_monotonic_time();
    gboolean told = FALSE;
    guchar buf[256 * 1024];
    for (off_t at = 0;;) {
        ssize_t got = pread(fd, buf, sizeof(buf), at);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            int saved = errno;
            g_autofree char *shown = lo_printable(path, 200);
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(saved), "cannot read %s: %s",
                        shown, g_strerror(saved));
            return NULL;
        }
        if (got == 0) {
            break;
        }
        g_checksum_update(sum, buf, got);
        at += got;
        if (!told && g_get_monotonic_time() - start > SLOW_HASH_USEC) {
            g_autofree char *size = lo_human_size((guint64)st.st_size);
            g_printerr("qemu-lorelei: identifying game… (sha256 of %s, once for this version of "
                       "the file)\n",
                       size);
            told = TRUE;
        }
    }
    sha = g_strdup(g_checksum_get_string(sum));
    /* Only if the file did not change while it was read. */
    struct stat after;
    if (fstat(fd, &after) == 0 && after.st_size == st.st_size &&
        after.st_mtim.tv_sec == st.st_mtim.tv_sec && after.st_mtim.tv_nsec == st.st_mtim.tv_nsec &&
        after.st_ctim.tv_sec == st.st_ctim.tv_sec && after.st_ctim.tv_nsec == st.st_ctim.tv_nsec) {
        lo_sha_cache_store(&st, sha);
    }
    return sha;
}
