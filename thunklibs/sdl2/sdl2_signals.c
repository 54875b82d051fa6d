/*
 * SIGINT and SIGTERM become SDL_QUIT, as in SDL natively (SDL_quit.c): when
 * the events subsystem starts and the game left those signals at their
 * default, a handler notes the signal and the next event call delivers
 * SDL_QUIT (unless SDL_HINT_NO_SIGNAL_HANDLERS). The host's SDL cannot do it
 * itself: QEMU owns the host process's signal handlers.
 *
 * A guest signal handler runs only between host calls, so waiting for
 * events is done in slices of at most QUIT_LATENCY_MS: a game blocked in
 * SDL_WaitEvent still sees SDL_QUIT promptly.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "sdl2_guest.h"

enum { QUIT_LATENCY_MS = 50 };

static atomic_bool quit_pending;
static atomic_bool handlers_installed;

static void on_quit_signal(int sig)
{
    (void)sig;
    atomic_store(&quit_pending, true);
}

static void deliver_quit(void)
{
    if (atomic_exchange(&quit_pending, false)) {
        SDL_Event e;
        memset(&e, 0, sizeof(e));
        e.type = SDL_QUIT;
        e.quit.timestamp = SDL_GetTicks();
        SDL_PushEvent(&e);
    }
}

void lorelei_sdl2_install_quit_handlers(Uint32 flags)
{
    if (!(flags &
          (SDL_INIT_EVENTS | SDL_INIT_VIDEO | SDL_INIT_JOYSTICK | SDL_INIT_GAMECONTROLLER)) ||
        SDL_GetHintBoolean(SDL_HINT_NO_SIGNAL_HANDLERS, SDL_FALSE) ||
        atomic_exchange(&handlers_installed, true)) {
        return;
    }
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            struct sigaction sa;
            memset(&sa, 0, sizeof(sa));
            sa.sa_handler = on_quit_signal;
            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

void lorelei_sdl2_remove_quit_handlers(Uint32 flags)
{
    if (!(flags & SDL_INIT_EVENTS) || !atomic_exchange(&handlers_installed, false)) {
        return;
    }
    static const int sigs[] = {SIGINT, SIGTERM};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == on_quit_signal) {
            signal(sigs[i], SIG_DFL);
        }
    }
}

SDL_GUEST void SDL_Quit(void)
{
    lorelei_sdl2_remove_quit_handlers(SDL_INIT_EVERYTHING);
    lorelei_thunk_SDL_Quit();
}

SDL_GUEST void SDL_QuitSubSystem(Uint32 flags)
{
    lorelei_sdl2_remove_quit_handlers(flags);
    lorelei_thunk_SDL_QuitSubSystem(flags);
}

SDL_GUEST void SDL_PumpEvents(void)
{
    deliver_quit();
    lorelei_thunk_SDL_PumpEvents();
}

SDL_GUEST int SDL_PollEvent(SDL_Event *event)
{
    deliver_quit();
    int got = lorelei_thunk_SDL_PollEvent(event);
    if (got && event) {
        lorelei_sdl2_events_to_game(event, 1);
    }
    return got;
}

SDL_GUEST int SDL_WaitEventTimeout(SDL_Event *event, int timeout)
{
    /* timeout < 0: wait forever. */
    Uint64 deadline = SDL_GetTicks64() + (Uint64)(timeout < 0 ? 0 : timeout);
    for (;;) {
        deliver_quit();
        int slice = QUIT_LATENCY_MS;
        if (timeout >= 0) {
            Uint64 now = SDL_GetTicks64();
            if (now >= deadline) {
                slice = 0;
            } else if (deadline - now < (Uint64)slice) {
                slice = (int)(deadline - now);
            }
        }
        int got = lorelei_thunk_SDL_WaitEventTimeout(event, slice);
        if (got && event) {
            lorelei_sdl2_events_to_game(event, 1);
        }
        if (got || (timeout >= 0 && SDL_GetTicks64() >= deadline)) {
            return got;
        }
    }
}

SDL_GUEST int SDL_WaitEvent(SDL_Event *event)
{
    return SDL_WaitEventTimeout(event, -1);
}

SDL_GUEST int SDL_PeepEvents(SDL_Event *events, int numevents, SDL_eventaction action,
                             Uint32 minType, Uint32 maxType)
{
    if (action == SDL_ADDEVENT && events) {
        lorelei_sdl2_events_from_game(events, numevents);
    }
    int n = lorelei_thunk_SDL_PeepEvents(events, numevents, action, minType, maxType);
    if (action == SDL_GETEVENT && events && n > 0) {
        lorelei_sdl2_events_to_game(events, n);
    }
    return n;
}

SDL_GUEST int SDL_PushEvent(SDL_Event *event)
{
    if (event) {
        lorelei_sdl2_events_from_game(event, 1);
    }
    return lorelei_thunk_SDL_PushEvent(event);
}
