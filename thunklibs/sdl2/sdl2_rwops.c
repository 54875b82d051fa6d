/*
 * Guest-side SDL_RWops. A game's RWops are guest objects whose functions are
 * guest code, and files must be opened by the guest so that paths resolve in
 * the game's sysroot (qemu-x86_64 -L), not on the host. Host SDL functions
 * that take an SDL_RWops (SDL_LoadBMP_RW, SDL_LoadWAV_RW...) call back into
 * these functions through the generator's identity-struct shadows.
 * Semantics follow SDL 2's SDL_rwops.c (stdio and memory streams).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sdl2_guest.h"

/* ---- stdio ------------------------------------------------------------------------ */

static Sint64 SDLCALL stdio_size(SDL_RWops *ctx)
{
    Sint64 pos = SDL_RWseek(ctx, 0, RW_SEEK_CUR);
    if (pos < 0) {
        return -1;
    }
    Sint64 size = SDL_RWseek(ctx, 0, RW_SEEK_END);
    SDL_RWseek(ctx, pos, RW_SEEK_SET);
    return size;
}

static Sint64 SDLCALL stdio_seek(SDL_RWops *ctx, Sint64 offset, int whence)
{
    static const int stdio_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
    if ((unsigned)whence > RW_SEEK_END) {
        return SDL_SetError("Unknown value for 'whence'");
    }
    /* As SDL: a no-op seek does not flush buffered input. */
    if (whence == RW_SEEK_CUR && offset == 0) {
        Sint64 pos = ftello(ctx->hidden.stdio.fp);
        return pos < 0 ? SDL_SetError("Couldn't get stream offset") : pos;
    }
    if (fseeko(ctx->hidden.stdio.fp, (off_t)offset, stdio_whence[whence]) == 0) {
        Sint64 pos = ftello(ctx->hidden.stdio.fp);
        return pos < 0 ? SDL_SetError("Couldn't get stream offset") : pos;
    }
    return SDL_Error(SDL_EFSEEK);
}

/*
 * The host's SDL reads into and writes from its own (host) buffers. Guest
 * code may touch host memory, but a syscall given it fails with EFAULT, and
 * stdio hands large transfers straight to read()/write(): go through a
 * buffer in guest memory.
 */
enum { BOUNCE_SIZE = 64 * 1024 };
static _Thread_local unsigned char bounce[BOUNCE_SIZE];

static size_t SDLCALL stdio_read(SDL_RWops *ctx, void *ptr, size_t size, size_t maxnum)
{
    if (size == 0 || maxnum == 0) {
        return 0;
    }
    size_t total = size * maxnum, done = 0;
    while (done < total) {
        size_t want = total - done < BOUNCE_SIZE ? total - done : BOUNCE_SIZE;
        size_t got = fread(bounce, 1, want, ctx->hidden.stdio.fp);
        memcpy((char *)ptr + done, bounce, got);
        done += got;
        if (got < want) {
            break;
        }
    }
    if (done < total && ferror(ctx->hidden.stdio.fp)) {
        SDL_Error(SDL_EFREAD);
    }
    /* Whole objects only, like fread; a partial one stays consumed, as there. */
    return done / size;
}

static size_t SDLCALL stdio_write(SDL_RWops *ctx, const void *ptr, size_t size, size_t num)
{
    if (size == 0 || num == 0) {
        return 0;
    }
    size_t total = size * num, done = 0;
    while (done < total) {
        size_t chunk = total - done < BOUNCE_SIZE ? total - done : BOUNCE_SIZE;
        memcpy(bounce, (const char *)ptr + done, chunk);
        size_t put = fwrite(bounce, 1, chunk, ctx->hidden.stdio.fp);
        done += put;
        if (put < chunk) {
            break;
        }
    }
    if (done < total && ferror(ctx->hidden.stdio.fp)) {
        SDL_Error(SDL_EFWRITE);
    }
    return done / size;
}

static int SDLCALL stdio_close(SDL_RWops *ctx)
{
    int status = 0;
    if (ctx) {
        if (ctx->hidden.stdio.autoclose && fclose(ctx->hidden.stdio.fp) != 0) {
            status = SDL_Error(SDL_EFWRITE);
        }
        SDL_FreeRW(ctx);
    }
    return status;
}

SDL_GUEST SDL_RWops *SDL_RWFromFP(FILE *fp, SDL_bool autoclose)
{
    SDL_RWops *rw = SDL_AllocRW();
    if (rw) {
        rw->size = stdio_size;
        rw->seek = stdio_seek;
        rw->read = stdio_read;
        rw->write = stdio_write;
        rw->close = stdio_close;
        rw->hidden.stdio.fp = fp;
        rw->hidden.stdio.autoclose = autoclose;
        rw->type = SDL_RWOPS_STDFILE;
    }
    return rw;
}

SDL_GUEST SDL_RWops *SDL_RWFromFile(const char *file, const char *mode)
{
    if (!file || !*file || !mode || !*mode) {
        SDL_SetError("SDL_RWFromFile(): No file or no mode specified");
        return NULL;
    }
    FILE *fp = fopen(file, mode);
    if (!fp) {
        SDL_SetError("Couldn't open %s", file);
        return NULL;
    }
    return SDL_RWFromFP(fp, SDL_TRUE);
}

/* ---- memory ------------------------------------------------------------------------------ */

static Sint64 SDLCALL mem_size(SDL_RWops *ctx)
{
    return (Sint64)(ctx->hidden.mem.stop - ctx->hidden.mem.base);
}

static Sint64 SDLCALL mem_seek(SDL_RWops *ctx, Sint64 offset, int whence)
{
    Uint8 *newpos;
    switch (whence) {
    case RW_SEEK_SET:
        newpos = ctx->hidden.mem.base + offset;
        break;
    case RW_SEEK_CUR:
        newpos = ctx->hidden.mem.here + offset;
        break;
    case RW_SEEK_END:
        newpos = ctx->hidden.mem.stop + offset;
        break;
    default:
        return SDL_SetError("Unknown value for 'whence'");
    }
    if (newpos < ctx->hidden.mem.base)
        newpos = ctx->hidden.mem.base;
    if (newpos > ctx->hidden.mem.stop)
        newpos = ctx->hidden.mem.stop;
    ctx->hidden.mem.here = newpos;
    return (Sint64)(ctx->hidden.mem.here - ctx->hidden.mem.base);
}

static size_t SDLCALL mem_read(SDL_RWops *ctx, void *ptr, size_t size, size_t maxnum)
{
    size_t total = size * maxnum;
    if (maxnum == 0 || size == 0 || total / maxnum != size) {
        return 0;
    }
    size_t avail = (size_t)(ctx->hidden.mem.stop - ctx->hidden.mem.here);
    if (total > avail)
        total = avail;
    memcpy(ptr, ctx->hidden.mem.here, total);
    ctx->hidden.mem.here += total;
    return total / size;
}

static size_t SDLCALL mem_write(SDL_RWops *ctx, const void *ptr, size_t size, size_t num)
{
    if (ctx->hidden.mem.here + size * num > ctx->hidden.mem.stop) {
        num = (size_t)(ctx->hidden.mem.stop - ctx->hidden.mem.here) / size;
    }
    memcpy(ctx->hidden.mem.here, ptr, num * size);
    ctx->hidden.mem.here += num * size;
    return num;
}

static size_t SDLCALL mem_writeconst(SDL_RWops *ctx, const void *ptr, size_t size, size_t num)
{
    (void)ctx, (void)ptr, (void)size, (void)num;
    SDL_SetError("Can't write to read-only memory");
    return 0;
}

static int SDLCALL mem_close(SDL_RWops *ctx)
{
    SDL_FreeRW(ctx);
    return 0;
}

static SDL_RWops *from_mem(void *mem, int size, int readonly)
{
    if (!mem) {
        SDL_InvalidParamError("mem");
        return NULL;
    }
    if (!size) {
        SDL_InvalidParamError("size");
        return NULL;
    }
    SDL_RWops *rw = SDL_AllocRW();
    if (rw) {
        rw->size = mem_size;
        rw->seek = mem_seek;
        rw->read = mem_read;
        rw->write = readonly ? mem_writeconst : mem_write;
        rw->close = mem_close;
        rw->hidden.mem.base = rw->hidden.mem.here = mem;
        rw->hidden.mem.stop = (Uint8 *)mem + size;
        rw->type = readonly ? SDL_RWOPS_MEMORY_RO : SDL_RWOPS_MEMORY;
    }
    return rw;
}

SDL_GUEST SDL_RWops *SDL_RWFromMem(void *mem, int size)
{
    return from_mem(mem, size, 0);
}

SDL_GUEST SDL_RWops *SDL_RWFromConstMem(const void *mem, int size)
{
    return from_mem((void *)mem, size, 1);
}

SDL_GUEST SDL_RWops *SDL_AllocRW(void)
{
    SDL_RWops *rw = SDL_calloc(1, sizeof(*rw));
    if (!rw) {
        SDL_OutOfMemory();
    } else {
        rw->type = SDL_RWOPS_UNKNOWN;
    }
    return rw;
}

SDL_GUEST void SDL_FreeRW(SDL_RWops *rw)
{
    SDL_free(rw);
}

/* ---- the generic entry points ---------------------------------------------------------- */

SDL_GUEST Sint64 SDL_RWsize(SDL_RWops *ctx)
{
    return ctx->size(ctx);
}
SDL_GUEST Sint64 SDL_RWseek(SDL_RWops *ctx, Sint64 offset, int whence)
{
    return ctx->seek(ctx, offset, whence);
}
SDL_GUEST Sint64 SDL_RWtell(SDL_RWops *ctx)
{
    return ctx->seek(ctx, 0, RW_SEEK_CUR);
}
SDL_GUEST size_t SDL_RWread(SDL_RWops *ctx, void *ptr, size_t size, size_t maxnum)
{
    return ctx->read(ctx, ptr, size, maxnum);
}
SDL_GUEST size_t SDL_RWwrite(SDL_RWops *ctx, const void *ptr, size_t size, size_t num)
{
    return ctx->write(ctx, ptr, size, num);
}
SDL_GUEST int SDL_RWclose(SDL_RWops *ctx)
{
    return ctx->close(ctx);
}

SDL_GUEST void *SDL_LoadFile_RW(SDL_RWops *src, size_t *datasize, int freesrc)
{
    const size_t chunk = 1024;
    size_t size = 0, capacity = 0;
    char *data = NULL;
    if (!src) {
        SDL_InvalidParamError("src");
        return NULL;
    }
    Sint64 known = SDL_RWsize(src);
    if (known > 0) {
        capacity = (size_t)known;
    }
    for (;;) {
        if (size + chunk > capacity) {
            capacity = size + chunk;
            char *bigger = SDL_realloc(data, capacity + 1);
            if (!bigger) {
                SDL_free(data);
                data = NULL;
                SDL_OutOfMemory();
                goto done;
            }
            data = bigger;
        }
        size_t n = SDL_RWread(src, data + size, 1, capacity - size);
        if (n == 0) {
            break;
        }
        size += n;
    }
    data[size] = '\0'; /* as SDL: text files come out as C strings */
done:
    if (datasize) {
        *datasize = size;
    }
    if (freesrc) {
        SDL_RWclose(src);
    }
    return data;
}

SDL_GUEST void *SDL_LoadFile(const char *file, size_t *datasize)
{
    return SDL_LoadFile_RW(SDL_RWFromFile(file, "rb"), datasize, 1);
}

/* ---- endian reads and writes ---------------------------------------------------------------- */

SDL_GUEST Uint8 SDL_ReadU8(SDL_RWops *src)
{
    Uint8 v = 0;
    SDL_RWread(src, &v, sizeof(v), 1);
    return v;
}

#define READ(name, type, swap)                                                                     \
    SDL_GUEST type SDL_Read##name(SDL_RWops *src)                                                  \
    {                                                                                              \
        type v = 0;                                                                                \
        SDL_RWread(src, &v, sizeof(v), 1);                                                         \
        return swap(v);                                                                            \
    }
#define WRITE(name, type, swap)                                                                    \
    SDL_GUEST size_t SDL_Write##name(SDL_RWops *dst, type value)                                   \
    {                                                                                              \
        type v = swap(value);                                                                      \
        return SDL_RWwrite(dst, &v, sizeof(v), 1);                                                 \
    }
READ(LE16, Uint16, SDL_SwapLE16)
READ(BE16, Uint16, SDL_SwapBE16)
READ(LE32, Uint32, SDL_SwapLE32)
READ(BE32, Uint32, SDL_SwapBE32)
READ(LE64, Uint64, SDL_SwapLE64)
READ(BE64, Uint64, SDL_SwapBE64)
WRITE(LE16, Uint16, SDL_SwapLE16)
WRITE(BE16, Uint16, SDL_SwapBE16)
WRITE(LE32, Uint32, SDL_SwapLE32)
WRITE(BE32, Uint32, SDL_SwapBE32)
WRITE(LE64, Uint64, SDL_SwapLE64)
WRITE(BE64, Uint64, SDL_SwapBE64)

SDL_GUEST size_t SDL_WriteU8(SDL_RWops *dst, Uint8 value)
{
    return SDL_RWwrite(dst, &value, sizeof(value), 1);
}
