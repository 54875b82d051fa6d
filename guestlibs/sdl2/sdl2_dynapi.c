/*
 * SDL_DYNAPI_entry: how a game that bundles or statically links its own SDL2
 * is redirected here. Such an SDL reads SDL_DYNAMIC_API=<path of a library>,
 * loads it and asks its SDL_DYNAPI_entry to fill the jump table; qemu-lorelei
 * points SDL_DYNAMIC_API at this stub. The table's order is SDL's
 * src/dynapi/SDL_dynapi_procs.h, fixed and append-only across SDL 2 releases.
 */
#include "sdl2_guest.h"

SDL_GUEST Sint32 SDL_DYNAPI_entry(Uint32 apiver, void *table, Uint32 tablesize)
{
    (void)apiver, (void)table, (void)tablesize;
    SDL_SetError("qemu-lorelei: SDL_DYNAPI_entry is not available yet");
    return -1;
}
