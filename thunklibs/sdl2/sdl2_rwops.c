/*
 * SDL's RWops run in the guest (SDL's own SDL_rwops.c): a game's RWops are
 * guest objects whose functions are guest code, and files must be opened by
 * the guest so that paths resolve in the game's sysroot (qemu-x86_64 -L).
 *
 * What differs: the host's SDL (SDL_LoadBMP_RW, SDL_LoadWAV_RW...) calls a
 * stdio RWops' read and write with its own, host, buffers. Guest code may
 * touch host memory, but a system call given it fails with EFAULT, and stdio
 * hands large transfers straight to read()/write(). SDL's stdio functions
 * call these instead of fread/fwrite (merge_sdl_objects.py --redirect): the
 * same results, through a buffer in guest memory.
 */
#include <stdio.h>
#include <string.h>

#include "sdl2_guest.h"

enum { BOUNCE_SIZE = 64 * 1024 };
static _Thread_local unsigned char bounce[BOUNCE_SIZE];

/* fread's contract: whole objects, a partial one at the end stays consumed. */
size_t lorelei_sdl2_fread(void *ptr, size_t size, size_t n, FILE *fp)
{
    if (size == 0 || n == 0) {
        return 0;
    }
    size_t total = size * n, done = 0;
    while (done < total) {
        size_t want = total - done < BOUNCE_SIZE ? total - done : BOUNCE_SIZE;
        size_t got = fread(bounce, 1, want, fp);
        memcpy((char *)ptr + done, bounce, got);
        done += got;
        if (got < want) {
            break;
        }
    }
    return done / size;
}

size_t lorelei_sdl2_fwrite(const void *ptr, size_t size, size_t n, FILE *fp)
{
    if (size == 0 || n == 0) {
        return 0;
    }
    size_t total = size * n, done = 0;
    while (done < total) {
        size_t chunk = total - done < BOUNCE_SIZE ? total - done : BOUNCE_SIZE;
        memcpy(bounce, (const char *)ptr + done, chunk);
        size_t put = fwrite(bounce, 1, chunk, fp);
        done += put;
        if (put < chunk) {
            break;
        }
    }
    return done / size;
}
