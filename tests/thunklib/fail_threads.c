/*
 * An x86_64 guest LD_PRELOAD library for the core tests: its pthread_create
 * refuses (EAGAIN) to start the guest runtime's service threads, as a game
 * at its thread limit would, so the tests can see what the plugin does when
 * the guest cannot serve a host thread's callbacks.
 *
 * A service thread is recognised by how thunklibs/runtime/runtime.c starts
 * it: a 1 MiB stack and a non-NULL argument (its channel id); the manager
 * thread has the same stack but a NULL argument and is left alone.
 *
 *   LORELEI_TEST_FAIL_SERVICE_THREADS=N   refuse the first N (default: all)
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static atomic_int refused;

static int is_service_thread(const pthread_attr_t *attr, void *arg)
{
    size_t size = 0;
    return attr && arg && pthread_attr_getstacksize(attr, &size) == 0 && size == (1u << 20);
}

__attribute__((visibility("default"))) int
pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    if (is_service_thread(attr, arg)) {
        const char *limit = getenv("LORELEI_TEST_FAIL_SERVICE_THREADS");
        int n = limit ? atoi(limit) : -1;
        if (n < 0 || atomic_fetch_add(&refused, 1) < n) {
            return EAGAIN;
        }
    }
    return real(thread, attr, start, arg);
}
