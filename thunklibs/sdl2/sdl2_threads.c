/*
 * Guest-side SDL threads, thread-local storage, mutexes, semaphores,
 * condition variables and atomics. Threads must run guest code, so they are
 * guest threads; the rest follows them: an uncontended lock or an atomic add
 * stays in the guest instead of costing a host round trip, and TLS
 * destructors run at guest thread exit. Semantics follow SDL 2's pthread
 * backend (recursive mutexes, SDL_MUTEX_TIMEDOUT, signals masked in SDL
 * threads).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sdl2_guest.h"

/* ---- threads ------------------------------------------------------------------- */

enum { THREAD_ALIVE, THREAD_DETACHED, THREAD_ZOMBIE, THREAD_CLEANED };

struct SDL_Thread {
    pthread_t handle;
    SDL_threadID id;
    char *name;
    int status;
    atomic_int state;
    size_t stacksize;
    SDL_ThreadFunction fn;
    void *data;
};

static void free_thread(SDL_Thread *t)
{
    SDL_free(t->name);
    SDL_free(t);
}

static void *thread_main(void *arg)
{
    SDL_Thread *t = arg;
    /* As SDL: asynchronous signals go to the main thread, not to SDL threads. */
    static const int masked[] = {SIGHUP,  SIGINT,  SIGQUIT,  SIGPIPE,   SIGALRM,
                                 SIGTERM, SIGCHLD, SIGWINCH, SIGVTALRM, SIGPROF};
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(masked) / sizeof(masked[0]); i++) {
        sigaddset(&set, masked[i]);
    }
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (t->name) {
        char name[16];
        strncpy(name, t->name, sizeof(name) - 1);
        name[sizeof(name) - 1] = 0;
        pthread_setname_np(pthread_self(), name);
    }
    t->id = SDL_ThreadID();
    t->status = t->fn(t->data);
    SDL_TLSCleanup();
    int expected = THREAD_ALIVE;
    if (!atomic_compare_exchange_strong(&t->state, &expected, THREAD_ZOMBIE) &&
        expected == THREAD_DETACHED) {
        free_thread(t); /* nobody will wait for it */
    }
    return NULL;
}

SDL_GUEST SDL_Thread *SDL_CreateThreadWithStackSize(SDL_ThreadFunction fn, const char *name,
                                                    size_t stacksize, void *data)
{
    SDL_Thread *t = SDL_calloc(1, sizeof(*t));
    if (!t) {
        SDL_OutOfMemory();
        return NULL;
    }
    t->fn = fn;
    t->data = data;
    t->stacksize = stacksize;
    t->name = name ? SDL_strdup(name) : NULL;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (stacksize) {
        pthread_attr_setstacksize(&attr, stacksize);
    }
    int err = pthread_create(&t->handle, &attr, thread_main, t);
    pthread_attr_destroy(&attr);
    if (err) {
        SDL_SetError("Not enough resources to create thread");
        free_thread(t);
        return NULL;
    }
    return t;
}

SDL_GUEST SDL_Thread *SDL_CreateThread(SDL_ThreadFunction fn, const char *name, void *data)
{
    const char *hint = SDL_GetHint(SDL_HINT_THREAD_STACK_SIZE);
    size_t stacksize = hint ? (size_t)SDL_atoi(hint) : 0;
    return SDL_CreateThreadWithStackSize(fn, name, stacksize, data);
}

SDL_GUEST void SDL_WaitThread(SDL_Thread *t, int *status)
{
    if (!t) {
        return;
    }
    pthread_join(t->handle, NULL);
    if (status) {
        *status = t->status;
    }
    free_thread(t);
}

SDL_GUEST void SDL_DetachThread(SDL_Thread *t)
{
    if (!t) {
        return;
    }
    int expected = THREAD_ALIVE;
    if (atomic_compare_exchange_strong(&t->state, &expected, THREAD_DETACHED)) {
        pthread_detach(t->handle);
    } else if (expected == THREAD_ZOMBIE) {
        SDL_WaitThread(t, NULL); /* finished already: reap it */
    }
}

SDL_GUEST SDL_threadID SDL_ThreadID(void)
{
    return (SDL_threadID)pthread_self();
}

SDL_GUEST SDL_threadID SDL_GetThreadID(SDL_Thread *t)
{
    return t ? t->id : SDL_ThreadID();
}

SDL_GUEST const char *SDL_GetThreadName(SDL_Thread *t)
{
    return t ? t->name : NULL;
}

SDL_GUEST int SDL_SetThreadPriority(SDL_ThreadPriority priority)
{
    /* Best effort, like SDL without rtkit: nice values for this thread. */
    static const int nice_of[] = {19, 0, -10, -20};
    if ((unsigned)priority > SDL_THREAD_PRIORITY_TIME_CRITICAL) {
        return SDL_InvalidParamError("priority");
    }
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice_of[priority]) < 0 &&
        priority <= SDL_THREAD_PRIORITY_NORMAL) {
        return SDL_SetError("setpriority() failed");
    }
    return 0;
}

/* ---- thread-local storage ------------------------------------------------------------ */

struct tls_entry {
    const void *value;
    void(SDLCALL *destructor)(void *);
};
struct tls_data {
    unsigned int count;
    struct tls_entry entries[];
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static atomic_uint tls_next_id;

static void tls_destroy(void *p)
{
    struct tls_data *d = p;
    for (unsigned int i = 0; i < d->count; i++) {
        if (d->entries[i].destructor && d->entries[i].value) {
            d->entries[i].destructor((void *)d->entries[i].value);
        }
    }
    SDL_free(d);
}

static void tls_init(void)
{
    pthread_key_create(&tls_key, tls_destroy);
}

SDL_GUEST SDL_TLSID SDL_TLSCreate(void)
{
    pthread_once(&tls_once, tls_init);
    return atomic_fetch_add(&tls_next_id, 1) + 1;
}

SDL_GUEST void *SDL_TLSGet(SDL_TLSID id)
{
    pthread_once(&tls_once, tls_init);
    struct tls_data *d = pthread_getspecific(tls_key);
    if (!d || id == 0 || id > d->count) {
        return NULL;
    }
    return (void *)d->entries[id - 1].value;
}

SDL_GUEST int SDL_TLSSet(SDL_TLSID id, const void *value, void(SDLCALL *destructor)(void *))
{
    pthread_once(&tls_once, tls_init);
    if (id == 0) {
        return SDL_InvalidParamError("id");
    }
    struct tls_data *d = pthread_getspecific(tls_key);
    if (!d || id > d->count) {
        unsigned int old = d ? d->count : 0, count = id + 15;
        struct tls_data *bigger = SDL_realloc(d, sizeof(*d) + count * sizeof(d->entries[0]));
        if (!bigger) {
            return SDL_OutOfMemory();
        }
        memset(&bigger->entries[old], 0, (count - old) * sizeof(bigger->entries[0]));
        bigger->count = count;
        d = bigger;
        pthread_setspecific(tls_key, d);
    }
    d->entries[id - 1] = (struct tls_entry){value, destructor};
    return 0;
}

SDL_GUEST void SDL_TLSCleanup(void)
{
    pthread_once(&tls_once, tls_init);
    struct tls_data *d = pthread_getspecific(tls_key);
    if (d) {
        pthread_setspecific(tls_key, NULL);
        tls_destroy(d);
    }
}

/* ---- mutexes (recursive, as SDL's) --------------------------------------------------- */

struct SDL_mutex {
    pthread_mutex_t id;
};

SDL_GUEST SDL_mutex *SDL_CreateMutex(void)
{
    SDL_mutex *m = SDL_calloc(1, sizeof(*m));
    if (!m) {
        SDL_OutOfMemory();
        return NULL;
    }
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    if (pthread_mutex_init(&m->id, &attr) != 0) {
        SDL_SetError("pthread_mutex_init() failed");
        SDL_free(m);
        m = NULL;
    }
    pthread_mutexattr_destroy(&attr);
    return m;
}

SDL_GUEST void SDL_DestroyMutex(SDL_mutex *m)
{
    if (m) {
        pthread_mutex_destroy(&m->id);
        SDL_free(m);
    }
}

SDL_GUEST int SDL_LockMutex(SDL_mutex *m)
{
    if (!m) {
        return 0; /* as SDL 2.26: a NULL mutex is a no-op */
    }
    return pthread_mutex_lock(&m->id) == 0 ? 0 : SDL_SetError("pthread_mutex_lock() failed");
}

SDL_GUEST int SDL_TryLockMutex(SDL_mutex *m)
{
    if (!m) {
        return 0;
    }
    int r = pthread_mutex_trylock(&m->id);
    if (r == 0) {
        return 0;
    }
    return r == EBUSY ? SDL_MUTEX_TIMEDOUT : SDL_SetError("pthread_mutex_trylock() failed");
}

SDL_GUEST int SDL_UnlockMutex(SDL_mutex *m)
{
    if (!m) {
        return 0;
    }
    return pthread_mutex_unlock(&m->id) == 0 ? 0 : SDL_SetError("pthread_mutex_unlock() failed");
}

/* ---- semaphores ------------------------------------------------------------------------ */

struct SDL_semaphore {
    sem_t sem;
};

SDL_GUEST SDL_sem *SDL_CreateSemaphore(Uint32 initial)
{
    SDL_sem *s = SDL_malloc(sizeof(*s));
    if (!s) {
        SDL_OutOfMemory();
        return NULL;
    }
    if (sem_init(&s->sem, 0, initial) < 0) {
        SDL_SetError("sem_init() failed");
        SDL_free(s);
        return NULL;
    }
    return s;
}

SDL_GUEST void SDL_DestroySemaphore(SDL_sem *s)
{
    if (s) {
        sem_destroy(&s->sem);
        SDL_free(s);
    }
}

SDL_GUEST int SDL_SemTryWait(SDL_sem *s)
{
    if (!s) {
        return SDL_InvalidParamError("sem");
    }
    return sem_trywait(&s->sem) == 0 ? 0 : SDL_MUTEX_TIMEDOUT;
}

SDL_GUEST int SDL_SemWait(SDL_sem *s)
{
    if (!s) {
        return SDL_InvalidParamError("sem");
    }
    int r;
    do {
        r = sem_wait(&s->sem);
    } while (r < 0 && errno == EINTR);
    return r < 0 ? SDL_SetError("sem_wait() failed") : 0;
}

static struct timespec deadline_after(Uint32 ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

SDL_GUEST int SDL_SemWaitTimeout(SDL_sem *s, Uint32 ms)
{
    if (!s) {
        return SDL_InvalidParamError("sem");
    }
    if (ms == 0) {
        return SDL_SemTryWait(s);
    }
    if (ms == SDL_MUTEX_MAXWAIT) {
        return SDL_SemWait(s);
    }
    struct timespec ts = deadline_after(ms);
    int r;
    do {
        r = sem_timedwait(&s->sem, &ts);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        return errno == ETIMEDOUT ? SDL_MUTEX_TIMEDOUT : SDL_SetError("sem_timedwait() failed");
    }
    return 0;
}

SDL_GUEST Uint32 SDL_SemValue(SDL_sem *s)
{
    int value = 0;
    if (s) {
        sem_getvalue(&s->sem, &value);
    }
    return value < 0 ? 0 : (Uint32)value;
}

SDL_GUEST int SDL_SemPost(SDL_sem *s)
{
    if (!s) {
        return SDL_InvalidParamError("sem");
    }
    return sem_post(&s->sem) < 0 ? SDL_SetError("sem_post() failed") : 0;
}

/* ---- condition variables ------------------------------------------------------------------ */

struct SDL_cond {
    pthread_cond_t cond;
};

SDL_GUEST SDL_cond *SDL_CreateCond(void)
{
    SDL_cond *c = SDL_malloc(sizeof(*c));
    if (!c) {
        SDL_OutOfMemory();
        return NULL;
    }
    if (pthread_cond_init(&c->cond, NULL) != 0) {
        SDL_SetError("pthread_cond_init() failed");
        SDL_free(c);
        return NULL;
    }
    return c;
}

SDL_GUEST void SDL_DestroyCond(SDL_cond *c)
{
    if (c) {
        pthread_cond_destroy(&c->cond);
        SDL_free(c);
    }
}

SDL_GUEST int SDL_CondSignal(SDL_cond *c)
{
    if (!c) {
        return SDL_InvalidParamError("cond");
    }
    return pthread_cond_signal(&c->cond) ? SDL_SetError("pthread_cond_signal() failed") : 0;
}

SDL_GUEST int SDL_CondBroadcast(SDL_cond *c)
{
    if (!c) {
        return SDL_InvalidParamError("cond");
    }
    return pthread_cond_broadcast(&c->cond) ? SDL_SetError("pthread_cond_broadcast() failed") : 0;
}

SDL_GUEST int SDL_CondWait(SDL_cond *c, SDL_mutex *m)
{
    if (!c) {
        return SDL_InvalidParamError("cond");
    }
    if (!m) {
        return SDL_InvalidParamError("mutex");
    }
    return pthread_cond_wait(&c->cond, &m->id) ? SDL_SetError("pthread_cond_wait() failed") : 0;
}

SDL_GUEST int SDL_CondWaitTimeout(SDL_cond *c, SDL_mutex *m, Uint32 ms)
{
    if (!c) {
        return SDL_InvalidParamError("cond");
    }
    if (!m) {
        return SDL_InvalidParamError("mutex");
    }
    if (ms == SDL_MUTEX_MAXWAIT) {
        return SDL_CondWait(c, m);
    }
    struct timespec ts = deadline_after(ms);
    int r;
    do {
        r = pthread_cond_timedwait(&c->cond, &m->id, &ts);
    } while (r == EINTR);
    if (r == ETIMEDOUT) {
        return SDL_MUTEX_TIMEDOUT;
    }
    return r ? SDL_SetError("pthread_cond_timedwait() failed") : 0;
}

/* ---- atomics ------------------------------------------------------------------------------ */

SDL_GUEST SDL_bool SDL_AtomicTryLock(SDL_SpinLock *lock)
{
    return __sync_lock_test_and_set(lock, 1) == 0 ? SDL_TRUE : SDL_FALSE;
}

SDL_GUEST void SDL_AtomicLock(SDL_SpinLock *lock)
{
    int iterations = 0;
    while (!SDL_AtomicTryLock(lock)) {
        if (++iterations < 32) {
            __builtin_ia32_pause();
        } else {
            sched_yield(); /* the holder may need this CPU */
        }
    }
}

SDL_GUEST void SDL_AtomicUnlock(SDL_SpinLock *lock)
{
    __sync_lock_release(lock);
}

SDL_GUEST SDL_bool SDL_AtomicCAS(SDL_atomic_t *a, int oldval, int newval)
{
    return __sync_bool_compare_and_swap(&a->value, oldval, newval) ? SDL_TRUE : SDL_FALSE;
}

SDL_GUEST int SDL_AtomicSet(SDL_atomic_t *a, int v)
{
    return __atomic_exchange_n(&a->value, v, __ATOMIC_SEQ_CST);
}

SDL_GUEST int SDL_AtomicGet(SDL_atomic_t *a)
{
    return __atomic_load_n(&a->value, __ATOMIC_SEQ_CST);
}

SDL_GUEST int SDL_AtomicAdd(SDL_atomic_t *a, int v)
{
    return __atomic_fetch_add(&a->value, v, __ATOMIC_SEQ_CST);
}

SDL_GUEST SDL_bool SDL_AtomicCASPtr(void **a, void *oldval, void *newval)
{
    return __sync_bool_compare_and_swap(a, oldval, newval) ? SDL_TRUE : SDL_FALSE;
}

SDL_GUEST void *SDL_AtomicSetPtr(void **a, void *v)
{
    return __atomic_exchange_n(a, v, __ATOMIC_SEQ_CST);
}

SDL_GUEST void *SDL_AtomicGetPtr(void **a)
{
    return __atomic_load_n(a, __ATOMIC_SEQ_CST);
}

SDL_GUEST void SDL_MemoryBarrierReleaseFunction(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

SDL_GUEST void SDL_MemoryBarrierAcquireFunction(void)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
}
