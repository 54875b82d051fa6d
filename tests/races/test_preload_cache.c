/*
 * ThreadSanitizer check of liblorelei-preload.so's pthread_create wrapper:
 * host libraries start threads from several threads at once, and the
 * wrapper finds the real pthread_create on its first call. preload.c is
 * linked into this program, so its pthread_create is the one called; eight
 * threads (started with the real one) make their first calls together.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

enum { THREADS = 8 };
typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static atomic_int ran;
static pthread_barrier_t start;

static void *child(void *arg)
{
    (void)arg;
    atomic_fetch_add(&ran, 1);
    return NULL;
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_t t;
    pthread_barrier_wait(&start);
    if (pthread_create(&t, NULL, child, NULL) == 0) { /* preload.c's */
        pthread_join(t, NULL);
    }
    return NULL;
}

int main(void)
{
    create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    pthread_t threads[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        real(&threads[i], NULL, worker, NULL);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    printf("%s %d of %d threads started through the wrapper; ThreadSanitizer reports races "
           "above, if any\n",
           ran == THREADS ? "ok  " : "FAIL", ran, THREADS);
    return ran == THREADS ? 0 : 1;
}
