/*
 * Surfaces over pixels the game allocated (SDL_CreateRGBSurface*From): the
 * SDL_Surface is the host's, the pixels are guest memory. SDL frees a
 * surface's pixels itself unless SDL_PREALLOC is set, and libraries clear
 * it on purpose to hand their SDL_malloc'ed pixels over: SDL2_image's QOI
 * loader does, SDL2_ttf does and also sets SDL_SIMD_ALIGNED over a block
 * laid out like SDL_SIMDAlloc's. The host's SDL would then free guest
 * memory with the host's allocator (SDL_FreeSurface, or RLE encoding in a
 * blit), which glibc aborts on or QEMU faults at.
 *
 * So the stub remembers each such surface with its pixels (keeps in
 * sdl2.toml), and whenever one reaches the host with SDL_PREALLOC cleared
 * it takes the pixels into its custody: the host sees SDL_PREALLOC and
 * leaves them alone, and when the surface dies (SDL_FreeSurface, releases)
 * the stub frees them with the guest's SDL_free as SDL would have
 * (SDL_SIMD_ALIGNED: the block SDL_SIMDAlloc's layout points to).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "sdl2_guest.h"

struct kept {
    SDL_Surface *surface; /* NULL: free slot; TOMBSTONE: removed */
    void *pixels;
    int custody; /* the game cleared SDL_PREALLOC: the stub frees the pixels */
};

#define TOMBSTONE ((SDL_Surface *)1)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept *table;
static size_t capacity, used; /* used counts tombstones too */
static atomic_size_t live;    /* lets the common case (none) skip the lock */

static size_t slot_of(const SDL_Surface *s)
{
    uintptr_t h = (uintptr_t)s >> 4;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 20) & (capacity - 1);
}

static struct kept *find(const SDL_Surface *s)
{
    if (!capacity) {
        return NULL;
    }
    for (size_t i = slot_of(s);; i = (i + 1) & (capacity - 1)) {
        if (table[i].surface == s) {
            return &table[i];
        }
        if (!table[i].surface) {
            return NULL;
        }
    }
}

static int grow(void)
{
    size_t old_capacity = capacity;
    struct kept *old = table;
    size_t n = capacity ? capacity * 2 : 64;
    /* Mostly tombstones: rehash at the same size. */
    if (capacity && (size_t)atomic_load(&live) * 4 < capacity) {
        n = capacity;
    }
    struct kept *fresh = calloc(n, sizeof(*fresh));
    if (!fresh) {
        return -1;
    }
    table = fresh;
    capacity = n;
    used = 0;
    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i].surface && old[i].surface != TOMBSTONE) {
            struct kept *k = &table[slot_of(old[i].surface)];
            while (k->surface) {
                k = k == &table[capacity - 1] ? table : k + 1;
            }
            *k = old[i];
            used++;
        }
    }
    free(old);
    return 0;
}

static void forget(struct kept *k)
{
    k->surface = TOMBSTONE;
    k->pixels = NULL;
    atomic_fetch_sub(&live, 1);
}

/* keeps: after SDL_CreateRGBSurface[WithFormat]From returned `result`. */
void lorelei_sdl2_surface_keeps_pixels(void *result, void *pixels)
{
    SDL_Surface *s = result;
    if (!s || !pixels) {
        return;
    }
    pthread_mutex_lock(&lock);
    /* A surface at the same address that the host freed on its own. */
    struct kept *k = find(s);
    if (!k) {
        if ((used + 1) * 4 > capacity * 3 && grow() != 0) {
            pthread_mutex_unlock(&lock);
            SDL_Log("qemu-lorelei: out of memory noting a surface's pixels: if the game hands "
                    "them to SDL, the host will free them with the wrong allocator");
            return;
        }
        k = &table[slot_of(s)];
        while (k->surface && k->surface != TOMBSTONE) {
            k = k == &table[capacity - 1] ? table : k + 1;
        }
        used += !k->surface;
        k->surface = s;
        atomic_fetch_add(&live, 1);
    }
    k->pixels = pixels;
    k->custody = 0;
    pthread_mutex_unlock(&lock);
}

/* guest_prepare of every SDL_Surface * parameter: if the game cleared
 * SDL_PREALLOC on a surface over its own pixels, the stub keeps them. */
void lorelei_sdl2_surface_custody(void *value)
{
    SDL_Surface *s = value;
    if (!s || (s->flags & SDL_PREALLOC) || !atomic_load_explicit(&live, memory_order_relaxed)) {
        return;
    }
    pthread_mutex_lock(&lock);
    struct kept *k = find(s);
    if (k && k->pixels == s->pixels) {
        k->custody = 1;
        s->flags |= SDL_PREALLOC;
    }
    pthread_mutex_unlock(&lock);
}

/* releases of SDL_FreeSurface (after the custody check above): the block
 * to free with the guest's SDL_free once the host freed the surface, if
 * this call frees it and the stub holds its pixels. */
void *lorelei_sdl2_surface_freed(void *value)
{
    SDL_Surface *s = value;
    if (!s || (s->flags & SDL_DONTFREE) || s->refcount > 1 || !atomic_load(&live)) {
        return NULL;
    }
    void *block = NULL;
    pthread_mutex_lock(&lock);
    struct kept *k = find(s);
    if (k) {
        if (k->custody && k->pixels == s->pixels) {
            block = (s->flags & SDL_SIMD_ALIGNED) ? ((void **)s->pixels)[-1] : s->pixels;
        }
        forget(k);
    }
    pthread_mutex_unlock(&lock);
    return block;
}
