/*
 * The environment: SDL_getenv and SDL_setenv are SDL's own (SDL_getenv.c),
 * on the guest's environment, where the game and its libraries look. But
 * the host's SDL reads its own environment (video and audio drivers, hints),
 * so what the game sets must reach it too.
 */
#include <stdlib.h>
#include <string.h>

#include "sdl2_guest.h"

extern char **environ;

/* SDL_setenv calls this instead of setenv (merge_sdl_objects.py --redirect). */
int lorelei_sdl2_setenv(const char *name, const char *value, int overwrite)
{
    int r = setenv(name, value, overwrite);
    if (r == 0) {
        lorelei_thunk_SDL_setenv(name, getenv(name), 1); /* the value that won */
    }
    return r;
}

/* Before SDL_Init: the SDL_* and AUDIODEV variables the game set with
 * setenv() or had from its launcher, which the host's SDL has not seen. */
void lorelei_sdl2_sync_environment(void)
{
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        size_t len = eq ? (size_t)(eq - *e) : 0;
        if (!eq || !(strncmp(*e, "SDL_", 4) == 0 || (len == 8 && !strncmp(*e, "AUDIODEV", 8)))) {
            continue;
        }
        /* It names the x86_64 stub, for a game's own SDL: never the host's. */
        if (len == 15 && !strncmp(*e, "SDL_DYNAMIC_API", 15)) {
            continue;
        }
        char name[256];
        if (len >= sizeof(name)) {
            continue;
        }
        memcpy(name, *e, len);
        name[len] = '\0';
        lorelei_thunk_SDL_setenv(name, eq + 1, 1);
    }
}
