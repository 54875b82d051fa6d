/*
 * Guest-side functions of libvorbisfile.so.3's stub (see vorbisfile.toml).
 *
 * The host's vorbisfile asks for data with the stream's read callback and a
 * pointer into its own buffer, host memory. A game's read function usually
 * ends in fread or read(2), and QEMU refuses host memory in a system call
 * (EFAULT), so the game's callbacks never see that pointer: the stub hands
 * the host its own callbacks and a source record; its read callback calls
 * the game's into a guest buffer and copies the bytes over (guest code may
 * write host memory; only system calls may not).
 *
 * The record lives as long as the stream: vorbisfile calls the close
 * callback from ov_clear (the stub's always exists, so it can free the
 * record, and calls the game's if there is one). A stream vorbisfile failed
 * to open it lets go of without closing (its datasource is no longer the
 * record): the stub frees the record itself.
 */
#define OV_EXCLUDE_STATIC_CALLBACKS
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/vorbisfile.h>

#include "lorelei-guest.h"

/* The generated thunks (vorbisfile_guest_gen.c of the build). */
__typeof__(ov_open_callbacks) lorelei_thunk_ov_open_callbacks;
__typeof__(ov_test_callbacks) lorelei_thunk_ov_test_callbacks;
__typeof__(ov_test_open) lorelei_thunk_ov_test_open;

struct source {
    void *datasource;  /* the game's */
    ov_callbacks game; /* the game's callbacks */
    char *buffer;      /* guest memory the game's read function fills */
    size_t buffer_size;
};

static size_t source_read(void *ptr, size_t size, size_t nmemb, void *datasource)
{
    struct source *s = datasource;
    size_t bytes = size * nmemb;
    if (size == 0 || bytes / size != nmemb) {
        return 0;
    }
    if (bytes > s->buffer_size) {
        char *bigger = realloc(s->buffer, bytes);
        if (bigger == NULL) {
            errno = ENOMEM;
            return 0;
        }
        s->buffer = bigger;
        s->buffer_size = bytes;
    }
    size_t items = s->game.read_func(s->buffer, size, nmemb, s->datasource);
    if (items > nmemb) {
        items = nmemb; /* a read function claiming more than it was asked for */
    }
    memcpy(ptr, s->buffer, items * size);
    return items;
}

static int source_seek(void *datasource, ogg_int64_t offset, int whence)
{
    struct source *s = datasource;
    return s->game.seek_func(s->datasource, offset, whence);
}

static long source_tell(void *datasource)
{
    struct source *s = datasource;
    return s->game.tell_func(s->datasource);
}

static void source_free(struct source *s)
{
    free(s->buffer);
    free(s);
}

static int source_close(void *datasource)
{
    struct source *s = datasource;
    int rc = s->game.close_func != NULL ? s->game.close_func(s->datasource) : 0;
    source_free(s);
    return rc;
}

/* The stub's callbacks for the game's: NULL where the game's is NULL, so an
 * unseekable stream stays unseekable; close always (it frees the record). */
static struct source *source_new(void *datasource, ov_callbacks game, ov_callbacks *stub)
{
    struct source *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return NULL;
    }
    s->datasource = datasource;
    s->game = game;
    stub->read_func = game.read_func != NULL ? source_read : NULL;
    stub->seek_func = game.seek_func != NULL ? source_seek : NULL;
    stub->tell_func = game.tell_func != NULL ? source_tell : NULL;
    stub->close_func = source_close;
    return s;
}

typedef int (*open_fn)(void *, OggVorbis_File *, const char *, long, ov_callbacks);

static int open_through(open_fn thunk, void *datasource, OggVorbis_File *vf, const char *initial,
                        long ibytes, ov_callbacks callbacks)
{
    ov_callbacks stub;
    struct source *s = source_new(datasource, callbacks, &stub);
    if (s == NULL) {
        return OV_EFAULT;
    }
    int rc = thunk(s, vf, initial, ibytes, stub);
    if (rc != 0 && (vf == NULL || vf->datasource != s)) {
        /* vorbisfile let go of the source without closing it. */
        source_free(s);
    }
    return rc;
}

LORELEI_GUEST_API int ov_open_callbacks(void *datasource, OggVorbis_File *vf, const char *initial,
                                        long ibytes, ov_callbacks callbacks)
{
    return open_through(lorelei_thunk_ov_open_callbacks, datasource, vf, initial, ibytes,
                        callbacks);
}

LORELEI_GUEST_API int ov_test_callbacks(void *datasource, OggVorbis_File *vf, const char *initial,
                                        long ibytes, ov_callbacks callbacks)
{
    return open_through(lorelei_thunk_ov_test_callbacks, datasource, vf, initial, ibytes,
                        callbacks);
}

LORELEI_GUEST_API int ov_test_open(OggVorbis_File *vf)
{
    /* The record of a stream ov_test_callbacks opened (the game's own
     * structure: guest memory). */
    struct source *s = vf != NULL ? vf->datasource : NULL;
    int rc = lorelei_thunk_ov_test_open(vf);
    if (rc != 0 && s != NULL && vf->datasource != s) {
        source_free(s); /* let go of without closing it */
    }
    return rc;
}

/* vorbisfile's own stdio callbacks, on the guest's stdio. */
static size_t file_read(void *ptr, size_t size, size_t nmemb, void *f)
{
    return fread(ptr, size, nmemb, f);
}

static int file_seek(void *f, ogg_int64_t offset, int whence)
{
    /* vorbisfile passes NULL for a stream it must not seek (ov_open's
     * pipes are detected by the first seek failing). */
    return f != NULL ? fseeko(f, (off_t)offset, whence) : -1;
}

static int file_close(void *f)
{
    return fclose(f);
}

static long file_tell(void *f)
{
    return ftell(f);
}

static const ov_callbacks file_callbacks = {file_read, file_seek, file_close, file_tell};

LORELEI_GUEST_API int ov_open(FILE *f, OggVorbis_File *vf, const char *initial, long ibytes)
{
    return ov_open_callbacks(f, vf, initial, ibytes, file_callbacks);
}

LORELEI_GUEST_API int ov_test(FILE *f, OggVorbis_File *vf, const char *initial, long ibytes)
{
    return ov_test_callbacks(f, vf, initial, ibytes, file_callbacks);
}

LORELEI_GUEST_API int ov_fopen(const char *path, OggVorbis_File *vf)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1; /* as vorbisfile's: -1, not an OV_ code */
    }
    int rc = ov_open(f, vf, NULL, 0);
    if (rc != 0) {
        fclose(f);
    }
    return rc;
}
