/*
 * Strings inside events that the game frees: SDL_DROPFILE and SDL_DROPTEXT
 * carry drop.file, SDL_TEXTEDITING_EXT carries editExt.text, each allocated
 * by SDL with SDL_strdup, and the game is to SDL_free it after taking the
 * event. The host's SDL allocates them with the host's allocator, which the
 * game's SDL_free (the guest's) cannot free: every event taken from the queue
 * hands the game a copy made with the guest's SDL_strdup instead, and the
 * host's string is freed on the host.
 *
 * A game may also push such events itself, with strings of its own (guest
 * memory): those are noted when pushed and handed back untouched.
 */
#include <pthread.h>

#include "sdl2_guest.h"

enum { MAX_PUSHED = 64 };
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *pushed[MAX_PUSHED]; /* the game's own strings in the queue */
static unsigned next_pushed;

static char **owned_string(SDL_Event *e)
{
    switch (e->type) {
    case SDL_DROPFILE:
    case SDL_DROPTEXT:
        return &e->drop.file;
    case SDL_TEXTEDITING_EXT:
        return &e->editExt.text;
    default:
        return NULL;
    }
}

/* Before SDL_PushEvent / SDL_PeepEvents(SDL_ADDEVENT). */
void lorelei_sdl2_events_from_game(SDL_Event *events, int n)
{
    for (int i = 0; i < n; i++) {
        char **s = owned_string(&events[i]);
        if (s && *s) {
            pthread_mutex_lock(&lock);
            /* A game with more of them in flight than this is not known;
             * the oldest note is dropped (its string would be copied and
             * freed on the host: a crash, as before this table existed). */
            pushed[next_pushed++ % MAX_PUSHED] = *s;
            pthread_mutex_unlock(&lock);
        }
    }
}

static int was_pushed(const char *s)
{
    int found = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < MAX_PUSHED && !found; i++) {
        if (pushed[i] == s) {
            pushed[i] = NULL;
            found = 1;
        }
    }
    pthread_mutex_unlock(&lock);
    return found;
}

/* After events were taken off the queue for the game (SDL_PollEvent,
 * SDL_WaitEvent[Timeout], SDL_PeepEvents(SDL_GETEVENT)). */
void lorelei_sdl2_events_to_game(SDL_Event *events, int n)
{
    for (int i = 0; i < n; i++) {
        char **s = owned_string(&events[i]);
        if (!s || !*s || was_pushed(*s)) {
            continue;
        }
        char *host = *s;
        *s = SDL_strdup(host);
        lorelei_sdl2_host_free(host);
    }
}
