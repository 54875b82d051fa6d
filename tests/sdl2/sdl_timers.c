/*
 * SDL timers whose callbacks are in flight when the game removes them.
 *
 * 1. A callback that takes 300 ms is running when the main thread calls
 *    SDL_RemoveTimer: is it still running when SDL_RemoveTimer returns?
 *    Natively SDL2 says yes (it does not wait); under qemu-lorelei the answer
 *    must be no, because forwarding keeps a callback in flight for the whole
 *    hand-off to a guest thread, and code that frees the callback's data
 *    right after SDL_RemoveTimer (sdl12-compat) would crash.
 * 2. A timer that removes itself from its own callback: must not wait for
 *    itself.
 * 3. 200 one-shot timers (the callback returns 0, nobody removes them).
 */
#include <SDL.h>
#include <stdio.h>

static SDL_atomic_t in_slow, self_done, one_shots;
static SDL_atomic_t self_id; /* an SDL_TimerID */
static SDL_bool self_removed;

static Uint32 SDLCALL slow_callback(Uint32 interval, void *param)
{
    (void)param;
    SDL_AtomicSet(&in_slow, 1);
    SDL_Delay(300);
    SDL_AtomicSet(&in_slow, 0);
    return interval;
}

static Uint32 SDLCALL self_removing_callback(Uint32 interval, void *param)
{
    (void)param;
    while (SDL_AtomicGet(&self_id) == 0) {
        SDL_Delay(1); /* SDL_AddTimer has not returned the id yet */
    }
    if (!SDL_AtomicGet(&self_done)) {
        self_removed = SDL_RemoveTimer(SDL_AtomicGet(&self_id));
        SDL_AtomicSet(&self_done, 1);
    }
    return interval;
}

static Uint32 SDLCALL one_shot_callback(Uint32 interval, void *param)
{
    (void)interval;
    (void)param;
    SDL_AtomicAdd(&one_shots, 1);
    return 0;
}

/* Waits up to 20 s for *flag to become 1. */
static int wait_for(SDL_atomic_t *flag)
{
    for (int i = 0; i < 2000 && !SDL_AtomicGet(flag); i++) {
        SDL_Delay(10);
    }
    return SDL_AtomicGet(flag);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (SDL_Init(SDL_INIT_TIMER) != 0) {
        printf("SDL_Init: %s\n", SDL_GetError());
        return 1;
    }

    SDL_TimerID slow = SDL_AddTimer(5, slow_callback, NULL);
    int began = wait_for(&in_slow);
    SDL_bool removed = SDL_RemoveTimer(slow);
    printf("slow callback began=%d removed=%d, still running when SDL_RemoveTimer returned: %s\n",
           began, removed, SDL_AtomicGet(&in_slow) ? "yes" : "no");

    Uint32 start = SDL_GetTicks();
    SDL_TimerID id = SDL_AddTimer(5, self_removing_callback, NULL);
    SDL_AtomicSet(&self_id, id);
    int done = wait_for(&self_done);
    printf("a timer that removes itself: done=%d removed=%d (%u ms)\n", done, self_removed,
           (unsigned)(SDL_GetTicks() - start));

    for (int i = 0; i < 200; i++) {
        if (SDL_AddTimer(1, one_shot_callback, NULL) == 0) {
            printf("SDL_AddTimer: %s\n", SDL_GetError());
        }
    }
    for (int i = 0; i < 2000 && SDL_AtomicGet(&one_shots) < 200; i++) {
        SDL_Delay(10);
    }
    printf("one-shot timers: %d of 200 ran\n", SDL_AtomicGet(&one_shots));
    SDL_Quit();
    printf("done\n");
    return 0;
}
