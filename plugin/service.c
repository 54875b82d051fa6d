/*
 * Callbacks from threads the guest did not create (SDL's audio and timer
 * threads, driver threads) - and from vCPU threads inside a thunk that ran
 * without a coroutine. Such a thread has no guest context, so a guest
 * *service thread* runs the callback for it:
 *
 *   host thread H                    plugin                 guest runtime
 *   first callback ──► channel N, spawn request ──► manager (WAIT_CALLBACK 0)
 *                                                     pthread_create(service N)
 *   request on N ──────────────────────────────► service N (WAIT_CALLBACK N)
 *   waits (spin, then futex)                          runs the callback
 *   ◄──────────── done ◄── CALLBACK_RETURN ◄──────────┘
 *
 * One service thread per host thread: a callback that waits for another
 * callback (one host thread waiting on a second) cannot deadlock, and a host
 * thread's callbacks always run on the same guest thread, as natively.
 * When H exits, its service thread is told to exit too.
 *
 * Waiting in WAIT_CALLBACK happens in short slices; between slices a guest
 * signal QEMU has taken makes it return QEMU's restart code, so the guest's
 * handler runs and the wait is re-issued (a plain blocking wait would keep
 * the handler from ever running).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "futex.h"
#include "internal.h"

enum { MAX_CHANNELS = 1024, MANAGER = 0 };
enum { IDLE = 0, REQUESTED = 1, TAKEN = 2 };
/* Spin this long before sleeping: a back-to-back callback hand-off costs
 * ~0.7 us spinning and ~16 us through a futex sleep (measured). */
enum { SPIN_NS = 20000 };
static const long WAIT_SLICE_NS = 20 * 1000 * 1000;

struct lorelei_channel {
    uint32_t id;
    _Atomic uint32_t state; /* IDLE / REQUESTED / TAKEN: the service thread waits on it */
    _Atomic uint32_t done;  /* the host thread waits on it */
    /* Set by a side about to sleep on its futex word, so the other side makes
     * the wake-up syscall only when someone sleeps (it costs ~1 us). Stored
     * before re-checking the word, loaded after changing it (seq_cst both):
     * no wake-up is lost. */
    _Atomic uint32_t service_sleeping, host_sleeping;
    _Atomic bool closed;
    _Atomic bool broken; /* the guest could not start its service thread */
    /* Three owners, each dropping its reference when done with the channel:
     * - the host thread, until it exits (lorelei_service_thread_exit), or
     *   until it sees the channel broken and asks for a new one;
     * - the manager, until it has reported the spawn;
     * - the service thread, until it has acknowledged its exit; the manager
     *   drops this one for it when the spawn failed.
     * The service thread can start, serve and exit before the manager
     * reports, so whichever finishes last frees the channel. */
    _Atomic int refs;
    struct lorelei_callback *request;
    struct lorelei_callback spawn_cb, exit_cb;
    uint64_t spawn_status; /* the guest writes pthread_create's result here */
};

static _Atomic(struct lorelei_channel *) channels[MAX_CHANNELS];

/* After fork() the child has no manager thread. Starting one eagerly from an
 * atfork handler would make every fork child (even one that only execs)
 * create a thread; instead the child's first CALL asks the guest to. */
atomic_bool lorelei_manager_wanted;
struct lorelei_callback lorelei_start_manager_cb = {.kind = LORELEI_CB_START_MANAGER};
static _Atomic uint32_t next_id = 1;

/* The manager's queue of channels waiting for a service thread. */
static pthread_mutex_t spawn_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t spawn_queue[MAX_CHANNELS];
static uint32_t spawn_head, spawn_tail;
static _Atomic uint32_t spawn_seq; /* futex word: bumped on every enqueue */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct lorelei_channel *channel_new(void)
{
    uint32_t id = atomic_fetch_add(&next_id, 1);
    /* Ids are not reused within a process; 1023 host threads that ever
     * called back is far beyond what a game's libraries create. */
    if (id >= MAX_CHANNELS) {
        lorelei_log("more than %d host threads needed guest callbacks; cannot serve more",
                    MAX_CHANNELS - 1);
        abort();
    }
    struct lorelei_channel *ch = calloc(1, sizeof(*ch));
    if (!ch) {
        abort();
    }
    ch->id = id;
    ch->refs = 3;
    ch->spawn_cb = (struct lorelei_callback){.kind = LORELEI_CB_SPAWN_SERVICE,
                                             .fn = id,
                                             .frame = (uint64_t)(uintptr_t)&ch->spawn_status};
    ch->exit_cb = (struct lorelei_callback){.kind = LORELEI_CB_EXIT_SERVICE, .fn = id};
    atomic_store(&channels[id], ch);

    pthread_mutex_lock(&spawn_lock);
    spawn_queue[spawn_tail++ % MAX_CHANNELS] = id;
    pthread_mutex_unlock(&spawn_lock);
    atomic_fetch_add(&spawn_seq, 1);
    lorelei_futex_wake_all(&spawn_seq);
    lorelei_debug("channel %u: asking the guest for a service thread", id);
    return ch;
}

static void channel_unref(struct lorelei_channel *ch)
{
    if (atomic_fetch_sub(&ch->refs, 1) == 1) {
        free(ch);
    }
}

void lorelei_service_call(struct lorelei_thread *t, struct lorelei_callback *cb)
{
    if (t->channel && atomic_load(&t->channel->broken)) {
        /* The guest could not start a service thread for it: ask again, a
         * thread limit the game hit may have passed. */
        channel_unref(t->channel);
        t->channel = NULL;
    }
    if (!t->channel) {
        t->channel = channel_new();
    }
    struct lorelei_channel *ch = t->channel;
    cb->token = ch->id;
    ch->request = cb;
    atomic_store_explicit(&ch->done, 0, memory_order_relaxed);
    atomic_store(&ch->state, REQUESTED);
    if (atomic_load(&ch->service_sleeping)) {
        lorelei_futex_wake_all(&ch->state);
    }

    /* broken: the spawn failed, possibly before `done` was cleared above;
     * the callback is skipped and its result stays zeroed. */
    uint64_t spin_until = now_ns() + SPIN_NS;
    while (!atomic_load_explicit(&ch->done, memory_order_acquire) && !atomic_load(&ch->broken)) {
        if (now_ns() < spin_until) {
            lorelei_cpu_relax();
            continue;
        }
        atomic_store(&ch->host_sleeping, 1);
        if (!atomic_load(&ch->done) && !atomic_load(&ch->broken)) {
            lorelei_futex_wait(&ch->done, 0, WAIT_SLICE_NS);
        }
        atomic_store(&ch->host_sleeping, 0);
    }
    atomic_store_explicit(&ch->state, IDLE, memory_order_relaxed);
}

static int64_t wait_spawn_request(struct lorelei_thread *t)
{
    for (;;) {
        uint32_t seq = atomic_load(&spawn_seq);
        struct lorelei_channel *ch = NULL;
        pthread_mutex_lock(&spawn_lock);
        if (spawn_head != spawn_tail) {
            ch = atomic_load(&channels[spawn_queue[spawn_head++ % MAX_CHANNELS]]);
        }
        pthread_mutex_unlock(&spawn_lock);
        if (ch) {
            t->serving = ch;
            t->serving_cb = (uint64_t)(uintptr_t)&ch->spawn_cb;
            return (int64_t)t->serving_cb;
        }
        if (lorelei_guest_signal_pending()) {
            return LORELEI_RESTART_SYSCALL;
        }
        lorelei_futex_wait(&spawn_seq, seq, WAIT_SLICE_NS);
    }
}

int64_t lorelei_op_wait_callback(struct lorelei_thread *t, uint64_t channel_id)
{
    if (channel_id == MANAGER) {
        return wait_spawn_request(t);
    }
    struct lorelei_channel *ch =
        channel_id < MAX_CHANNELS ? atomic_load(&channels[channel_id]) : NULL;
    if (!ch) {
        return -LORELEI_ENOENT;
    }
    uint64_t spin_until = now_ns() + SPIN_NS;
    for (;;) {
        uint32_t s = atomic_load_explicit(&ch->state, memory_order_acquire);
        if (s == REQUESTED) {
            uint32_t expected = REQUESTED;
            if (atomic_compare_exchange_strong(&ch->state, &expected, TAKEN)) {
                t->serving = ch;
                t->serving_cb = (uint64_t)(uintptr_t)ch->request;
                return (int64_t)t->serving_cb;
            }
            continue;
        }
        if (atomic_load(&ch->closed)) {
            t->serving = ch;
            t->serving_cb = (uint64_t)(uintptr_t)&ch->exit_cb;
            return (int64_t)t->serving_cb;
        }
        if (now_ns() < spin_until) {
            lorelei_cpu_relax();
            continue;
        }
        if (lorelei_guest_signal_pending()) {
            return LORELEI_RESTART_SYSCALL;
        }
        atomic_store(&ch->service_sleeping, 1);
        if (atomic_load(&ch->state) == s && !atomic_load(&ch->closed)) {
            lorelei_futex_wait(&ch->state, s, WAIT_SLICE_NS);
        }
        atomic_store(&ch->service_sleeping, 0);
    }
}

bool lorelei_service_complete(uint64_t cb, int64_t *status)
{
    struct lorelei_thread *t = lorelei_thread_peek();
    if (!t || !t->serving || t->serving_cb != cb) {
        return false;
    }
    struct lorelei_channel *ch = t->serving;
    t->serving = NULL;
    t->serving_cb = 0;
    *status = 0;
    if (cb == (uint64_t)(uintptr_t)&ch->spawn_cb) {
        if (ch->spawn_status != 0) {
            static atomic_bool said;
            if (!atomic_exchange(&said, true)) {
                lorelei_log("the guest could not start a thread to run a host thread's callbacks "
                            "(pthread_create failed with error %d: the game may be at its thread "
                            "limit); such callbacks are skipped (they return 0) until a later one "
                            "can start it",
                            (int)ch->spawn_status);
            }
            lorelei_debug("channel %u: the guest could not start its service thread (error %d)",
                          ch->id, (int)ch->spawn_status);
            atomic_store(&channels[ch->id], NULL);
            atomic_store(&ch->broken, true);
            atomic_store(&ch->done, 1);
            lorelei_futex_wake_all(&ch->done);
            channel_unref(ch); /* no service thread will ever acknowledge an exit */
        }
        channel_unref(ch); /* the manager's */
    } else if (cb == (uint64_t)(uintptr_t)&ch->exit_cb) {
        atomic_store(&channels[ch->id], NULL);
        channel_unref(ch); /* the service thread's */
    } else {
        atomic_store(&ch->done, 1);
        if (atomic_load(&ch->host_sleeping)) {
            lorelei_futex_wake_all(&ch->done);
        }
    }
    return true;
}

void lorelei_service_thread_exit(struct lorelei_thread *t)
{
    struct lorelei_channel *ch = t->channel;
    if (ch) {
        t->channel = NULL;
        atomic_store(&ch->closed, true);
        lorelei_futex_wake_all(&ch->state);
        channel_unref(ch); /* the host thread's */
    }
}

void lorelei_service_after_fork_child(void)
{
    /* Host threads do not survive fork(), and neither do the guest's service
     * threads: start from nothing. Old channels are dropped, not freed: other
     * threads' state may still point at them. */
    for (int i = 0; i < MAX_CHANNELS; i++) {
        atomic_store(&channels[i], NULL);
    }
    pthread_mutex_init(&spawn_lock, NULL);
    spawn_head = spawn_tail = 0;
    atomic_store(&lorelei_manager_wanted, true);
    struct lorelei_thread *t = lorelei_thread_peek();
    if (t) {
        t->channel = NULL;
        t->serving = NULL;
    }
}
