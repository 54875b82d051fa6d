/*
 * Guest-side functions of libz.so.1's stub (see zlib.toml).
 *
 * gzopen opens the file with the game's own open(), so the name means what
 * it means to the game (QEMU maps the guest's file system view, a sysroot
 * among it), and hands the descriptor to the host's zlib with gzdopen. The
 * one visible difference: zlib's error messages name the file "<fd:N>".
 *
 * gzvprintf formats with the guest's vsnprintf (a va_list cannot cross) and
 * writes the text with gzwrite.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "lorelei-guest.h"

/* open(2) flags for a gzopen mode, as zlib's gz_open reads it; -1 for a
 * mode zlib refuses (none of r, w, a; or '+'). */
static int open_flags(const char *mode)
{
    int access = -1, extra = 0;
    for (const char *m = mode; *m; m++) {
        switch (*m) {
        case 'r':
            access = O_RDONLY;
            break;
        case 'w':
            access = O_WRONLY | O_CREAT | O_TRUNC;
            break;
        case 'a':
            access = O_WRONLY | O_CREAT | O_APPEND;
            break;
        case '+':
            return -1;
        case 'x':
            extra |= O_EXCL;
            break;
        case 'e':
            extra |= O_CLOEXEC;
            break;
        default:
            break;
        }
    }
    return access < 0 ? -1 : access | extra;
}

static gzFile open_by_name(const char *path, const char *mode)
{
    if (path == NULL || mode == NULL) {
        return NULL;
    }
    int flags = open_flags(mode);
    if (flags < 0) {
        return NULL;
    }
    int fd = open(path, flags, 0666);
    if (fd < 0) {
        return NULL;
    }
    gzFile file = gzdopen(fd, mode);
    if (file == NULL) {
        int saved = errno;
        close(fd);
        errno = saved;
    }
    return file;
}

LORELEI_GUEST_API gzFile gzopen(const char *path, const char *mode)
{
    return open_by_name(path, mode);
}

LORELEI_GUEST_API gzFile gzopen64(const char *path, const char *mode)
{
    return open_by_name(path, mode);
}

LORELEI_GUEST_API int gzvprintf(gzFile file, const char *format, va_list va)
{
    if (file == NULL || format == NULL) {
        return Z_STREAM_ERROR;
    }
    char *text = NULL;
    int len = vasprintf(&text, format, va);
    if (len < 0) {
        return Z_MEM_ERROR;
    }
    int written = len == 0 ? 0 : gzwrite(file, text, (unsigned)len);
    free(text);
    /* gzwrite answers 0 on an error, which zlib's gzvprintf reports as the
     * stream's error code. */
    if (len > 0 && written == 0) {
        int err = Z_ERRNO;
        gzerror(file, &err);
        return err;
    }
    return written;
}
