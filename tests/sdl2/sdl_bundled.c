/*
 * x86_64 guest program linked with SDL2 statically (libSDL2.a), like a game
 * that bundles its own SDL. Under qemu-lorelei its SDL must redirect every
 * call to the stub through SDL_DYNAMIC_API / SDL_DYNAPI_entry; the test
 * checks that the stub (and so the host's SDL) served it.
 */
#include <stdio.h>

#include <SDL2/SDL.h>

int main(void)
{
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_TIMER) != 0) {
        fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    SDL_Window *w = SDL_CreateWindow("bundled-sdl", 0, 0, 160, 120, 0);
    SDL_version v;
    SDL_GetVersion(&v);
    SDL_Event e;
    int events = 0;
    for (int i = 0; i < 20; i++) {
        while (SDL_PollEvent(&e)) {
            events++;
        }
        SDL_Delay(5);
    }
    printf("window=%s version=%d.%d video=%s events>0=%d\n", w ? "yes" : "no", v.major, v.minor,
           SDL_GetCurrentVideoDriver(), events > 0);
    SDL_DestroyWindow(w);
    SDL_Quit();
    return 0;
}
