/*
 * Host side of SDL_AddTimer / SDL_RemoveTimer (sdl2.toml names them with
 * host_impl): SDL_RemoveTimer returns only once a callback of that timer
 * that is already running has returned.
 *
 * Why: SDL2's own SDL_RemoveTimer does not wait. Natively a callback can
 * outlive its SDL_RemoveTimer only in the few instructions between the
 * timer thread's "cancelled?" check and the call, so code that frees the
 * callback's data right after SDL_RemoveTimer almost never loses. Forwarded,
 * SDL's timer thread hands each call to a guest thread and waits for it: a
 * callback is in flight for the whole hand-off, microseconds to
 * milliseconds, and that code crashes. sdl12-compat's SDL_RemoveTimer is
 * such code (it frees the wrapper its callback reads): an SDL 1.2 game that
 * removed a 10 ms timer died in the aarch64 lane in most runs.
 *
 * The wait is skipped when the caller is the thread running that callback
 * (a timer that removes itself), and bounded, so a game that removes a
 * timer while holding a lock its callback waits for is held up, not hung.
 */
#include <SDL2/SDL.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "lorelei-host.h"

/* What a callback may take at most before SDL_RemoveTimer stops waiting. */
static const int WAIT_LIMIT_S = 2;
/* How long a removed or finished timer's record is kept before it is freed:
 * SDL's timer thread may still be between its check and the call. */
static const double RETIRE_AFTER_S = 1.0;

struct watched_timer {
    SDL_TimerCallback callback; /* the host trampoline of the game's function */
    void *param;
    SDL_TimerID id;
    int running;       /* calls in flight */
    int waiters;       /* SDL_RemoveTimer calls waiting for them */
    uint64_t runner;   /* lorelei_host_thread_token() of the thread making them */
    double retired_at; /* 0: live */
    struct watched_timer *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t returned = PTHREAD_COND_INITIALIZER;
static struct watched_timer *live, *retired;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Under lock: takes w off the live list and keeps it until it is old. */
static void retire(struct watched_timer *w)
{
    for (struct watched_timer **p = &live; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    w->retired_at = now_s();
    w->next = retired;
    retired = w;
}

/* Under lock. */
static void free_old_records(void)
{
    double now = now_s();
    for (struct watched_timer **p = &retired; *p;) {
        struct watched_timer *w = *p;
        if (w->running == 0 && w->waiters == 0 && now - w->retired_at > RETIRE_AFTER_S) {
            *p = w->next;
            free(w);
        } else {
            p = &w->next;
        }
    }
}

static Uint32 SDLCALL watched_callback(Uint32 interval, void *param)
{
    struct watched_timer *w = param;
    pthread_mutex_lock(&lock);
    w->running++;
    w->runner = lorelei_host_thread_token();
    pthread_mutex_unlock(&lock);
    Uint32 next = w->callback(interval, w->param);
    pthread_mutex_lock(&lock);
    w->running--;
    if (next == 0 && w->retired_at == 0) {
        retire(w); /* it returned 0: SDL drops the timer, nothing removes it */
    }
    pthread_cond_broadcast(&returned);
    pthread_mutex_unlock(&lock);
    return next;
}

SDL_TimerID lorelei_sdl_add_timer(void *native, Uint32 interval, SDL_TimerCallback callback,
                                  void *param)
{
    SDL_TimerID (*add)(Uint32, SDL_TimerCallback, void *) =
        (SDL_TimerID(*)(Uint32, SDL_TimerCallback, void *))native;
    struct watched_timer *w = callback ? calloc(1, sizeof(*w)) : NULL;
    if (!w) {
        return add(interval, callback, param); /* SDL says what is wrong */
    }
    w->callback = callback;
    w->param = param;
    pthread_mutex_lock(&lock);
    free_old_records();
    w->next = live;
    live = w;
    pthread_mutex_unlock(&lock);
    SDL_TimerID id = add(interval, watched_callback, w);
    pthread_mutex_lock(&lock);
    w->id = id;
    if (id == 0) {
        retire(w);
    }
    pthread_mutex_unlock(&lock);
    return id;
}

SDL_bool lorelei_sdl_remove_timer(void *native, SDL_TimerID id)
{
    SDL_bool removed = ((SDL_bool(*)(SDL_TimerID))native)(id);
    pthread_mutex_lock(&lock);
    struct watched_timer *w = live;
    while (w && w->id != id) {
        w = w->next;
    }
    if (w) {
        struct timespec limit;
        clock_gettime(CLOCK_REALTIME, &limit);
        limit.tv_sec += WAIT_LIMIT_S;
        w->waiters++;
        while (w->running > 0 && !lorelei_serving_host_thread(w->runner)) {
            if (pthread_cond_timedwait(&returned, &lock, &limit) != 0) {
                lorelei_log("SDL_RemoveTimer: timer %d's callback is still running after %d s; "
                            "not waiting for it any longer (does it wait for a lock the caller "
                            "holds?)",
                            (int)id, WAIT_LIMIT_S);
                break;
            }
        }
        w->waiters--;
        if (w->retired_at == 0) {
            retire(w);
        }
    }
    free_old_records();
    pthread_mutex_unlock(&lock);
    return removed;
}
