/*
 * An x86_64 guest LD_PRELOAD library for the core tests. It sees every
 * service thread the guest runtime starts for a host thread's callbacks,
 * and records its channel id; told to, it refuses (EAGAIN) to start the
 * first ones, as a game at its thread limit would, so the tests can see
 * what the plugin does when the guest cannot serve a host thread.
 *
 * A service thread is recognised by how thunklibs/runtime/runtime.c starts
 * it: a 1 MiB stack and a non-NULL argument (its channel id); the manager
 * thread has the same stack but a NULL argument and is left alone.
 *
 *   LORELEI_TEST_FAIL_SERVICE_THREADS=N   refuse the first N (default 0)
 *   lorelei_test_service_ids(out, max)    the channel ids seen so far
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

typedef int (*create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

enum { MAX_IDS = 4096 };
static _Atomic uint64_t ids[MAX_IDS];
static atomic_int n_seen;

static int is_service_thread(const pthread_attr_t *attr, void *arg)
{
    size_t size = 0;
    return attr && arg && pthread_attr_getstacksize(attr, &size) == 0 && size == (1u << 20);
}

__attribute__((visibility("default"))) int lorelei_test_service_ids(uint64_t *out, int max)
{
    int n = atomic_load(&n_seen);
    n = n < MAX_IDS ? n : MAX_IDS;
    for (int i = 0; i < n && i < max; i++) {
        out[i] = atomic_load(&ids[i]);
    }
    return n < max ? n : max;
}

__attribute__((visibility("default"))) int
pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
    if (is_service_thread(attr, arg)) {
        int seen = atomic_fetch_add(&n_seen, 1);
        if (seen < MAX_IDS) {
            atomic_store(&ids[seen], (uint64_t)(uintptr_t)arg);
        }
        const char *limit = getenv("LORELEI_TEST_FAIL_SERVICE_THREADS");
        if (limit && seen < atoi(limit)) {
            return EAGAIN;
        }
    }
    return real(thread, attr, start, arg);
}
