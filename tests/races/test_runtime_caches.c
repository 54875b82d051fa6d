/*
 * ThreadSanitizer check of the guest runtime's lazily found X11 functions
 * (lorelei_x11_flush, lorelei_x11_sync, lorelei_xcb_flush; the GL stub finds
 * its Xlib functions the same way, with lorelei_cached_symbol). The runtime
 * is compiled natively for this test (the host is x86_64 too), without its
 * constructor (-Dconstructor=unused: it would do the handshake), and eight
 * threads make their first calls at the same moment, as a game's render and
 * loader threads may.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "lorelei-guest.h"

enum { THREADS = 8, CALLS = 100 };
static atomic_int flushes, syncs, xcb_flushes;

/* The "guest's libX11 and libxcb": found with dlsym(RTLD_DEFAULT) (-rdynamic). */
__attribute__((visibility("default"))) int XFlush(void *display);
__attribute__((visibility("default"))) int XSync(void *display, int discard);
__attribute__((visibility("default"))) int xcb_flush(void *connection);
int XFlush(void *display)
{
    (void)display;
    return atomic_fetch_add(&flushes, 1);
}
int XSync(void *display, int discard)
{
    (void)display, (void)discard;
    return atomic_fetch_add(&syncs, 1);
}
int xcb_flush(void *connection)
{
    (void)connection;
    return atomic_fetch_add(&xcb_flushes, 1);
}

static pthread_barrier_t start;

static void *worker(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    for (int i = 0; i < CALLS; i++) {
        lorelei_x11_flush((void *)1);
        lorelei_x11_sync((void *)1);
        lorelei_xcb_flush((void *)1);
    }
    return NULL;
}

int main(void)
{
    pthread_t threads[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        pthread_create(&threads[i], NULL, worker, NULL);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    int want = THREADS * CALLS;
    int ok = flushes == want && syncs == want && xcb_flushes == want;
    printf("%s every call reached its function (%d, %d, %d of %d); ThreadSanitizer reports "
           "races above, if any\n",
           ok ? "ok  " : "FAIL", flushes, syncs, xcb_flushes, want);
    return ok ? 0 : 1;
}
