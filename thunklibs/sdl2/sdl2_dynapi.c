/*
 * SDL_DYNAPI_entry: how a game that bundles or statically links its own SDL2
 * is redirected here. Such an SDL reads SDL_DYNAMIC_API=<path of a library>
 * (qemu-lorelei run points it at this stub), loads it and asks its
 * SDL_DYNAPI_entry to fill the SDL's jump table; every call of the game's
 * SDL then lands in this stub. The table's order is SDL's dynapi list,
 * generated from the host's libSDL2.a (dynapi_order.py).
 */
#include <stdio.h>

#include "sdl2_guest.h"

#define SDL_DYNAPI_VERSION 1

extern const unsigned lorelei_sdl2_dynapi_count;
extern const char *const lorelei_sdl2_dynapi_names[];

/* Stands in for a function the host's SDL2 is too old to have. */
static void *missing(void)
{
    fprintf(stderr, "qemu-lorelei: the game's SDL2 called a function this host's SDL2 does not "
                    "have; it returns 0\n");
    return NULL;
}

SDL_GUEST Sint32 SDL_DYNAPI_entry(Uint32 apiver, void *table, Uint32 tablesize)
{
    if (apiver != SDL_DYNAPI_VERSION) {
        return -1;
    }
    size_t entries = tablesize / sizeof(void *);
    if (entries > lorelei_sdl2_dynapi_count) {
        /* The game's SDL is newer than ours: it keeps using its own copy. */
        fprintf(stderr,
                "qemu-lorelei: the game bundles a newer SDL2 (jump table of %zu entries, "
                "this one has %u); it runs emulated\n",
                entries, lorelei_sdl2_dynapi_count);
        return -1;
    }
    void **out = table;
    for (size_t i = 0; i < entries; i++) {
        void *fn = lorelei_sdl2_lookup(lorelei_sdl2_dynapi_names[i]);
        out[i] = fn ? fn : (void *)missing;
    }
    return 0;
}
