/*
 * x86_64 guest program: opens and closes an audio device N times, as a game
 * does when it restarts its sound (a level change, a settings menu), each
 * time waiting for its callback to run. Every open makes SDL start a new
 * audio thread on the host whose callback runs in the guest: a host thread
 * that calls back, N times over, for as long as the game runs.
 *
 *   sdl_audio_cycles N     prints "cycles=K of N" (K: cycles whose callback ran)
 */
#include <stdio.h>
#include <stdlib.h>

#include <SDL2/SDL.h>

static SDL_atomic_t calls;

static void SDLCALL fill(void *user, Uint8 *stream, int len)
{
    (void)user;
    SDL_memset(stream, 0, (size_t)len);
    SDL_AtomicAdd(&calls, 1);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1100;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (SDL_Init(SDL_INIT_AUDIO) != 0) {
        fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    SDL_AudioSpec want = {
        .freq = 48000, .format = AUDIO_S16SYS, .channels = 2, .samples = 256, .callback = fill};
    int ok = 0;
    for (int i = 0; i < n; i++) {
        SDL_AudioSpec have;
        SDL_AudioDeviceID dev = SDL_OpenAudioDevice(NULL, 0, &want, &have, 0);
        if (!dev) {
            fprintf(stderr, "cycle %d: SDL_OpenAudioDevice: %s\n", i, SDL_GetError());
            break;
        }
        int before = SDL_AtomicGet(&calls);
        SDL_PauseAudioDevice(dev, 0);
        Uint32 deadline = SDL_GetTicks() + 5000;
        while (SDL_AtomicGet(&calls) == before && !SDL_TICKS_PASSED(SDL_GetTicks(), deadline)) {
            SDL_Delay(1);
        }
        ok += SDL_AtomicGet(&calls) != before;
        SDL_CloseAudioDevice(dev);
    }
    printf("cycles=%d of %d\n", ok, n);
    SDL_Quit();
    return 0;
}
