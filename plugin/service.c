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
 * Channel ids are reused: a game that opens and closes its audio device for
 * hours creates a host thread each time. An id is a slot of a table that
 * grows as needed (its size is the most channels alive at once) and a
 * generation that changes each time the slot is reused, so an id the guest
 * kept from a service thread that has exited never reaches a newer channel.
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

enum { MANAGER = 0 };
enum { IDLE = 0, REQUESTED = 1, TAKEN = 2 };
/* Spin this long before sleeping: a back-to-back callback hand-off costs
 * ~0.7 us spinning and ~16 us through a futex sleep (measured). */
enum { SPIN_NS = 20000 };
static const long WAIT_SLICE_NS = 20 * 1000 * 1000;

struct lorelei_channel {
    uint64_t id;            /* generation << 32 | slot */
    _Atomic uint32_t state; /* IDLE / REQUESTED / TAKEN: the service thread waits on it */
    _Atomic uint32_t done;  /* the host thread waits on it */
    /* Set by a side about to sleep on its futex word, so the other side makes
     * the wake-up syscall only when someone sleeps (it costs ~1 us). Stored
     * before re-checking the word, loaded after changing it (seq_cst both):
     * no wake-up is lost. */
    _Atomic uint32_t service_sleeping, host_sleeping;
    _Atomic bool closed;
    _Atomic bool broken; /* no service thread will serve it (it could not start, or died) */
    /* Owners, each dropping its reference when done with the channel:
     * - the host thread, until it exits (lorelei_service_thread_exit), or
     *   until it sees the channel broken and asks for a new one;
     * - the manager, from the spawn request until it has reported the spawn;
     * - the table slot, until the service thread has acknowledged its exit
     *   (or could not start, or died): then the slot is free for reuse;
     * - a guest thread waiting on the channel (t->waits_on), and one running
     *   a callback of it (t->serving).
     * The service thread can start, serve and exit before the manager
     * reports, so whichever finishes last frees the channel. */
    _Atomic int refs;
    uint64_t host_token;                /* lorelei_host_thread_token() of the host thread */
    struct lorelei_channel *next_spawn; /* the manager's queue */
    struct lorelei_callback *request;
    struct lorelei_callback spawn_cb, exit_cb;
    uint64_t spawn_status; /* the guest writes pthread_create's result here */
};

/* After fork() the child has no manager thread. Starting one eagerly from an
 * atfork handler would make every fork child (even one that only execs)
 * create a thread; instead the child's first CALL asks the guest to. */
atomic_bool lorelei_manager_wanted;
struct lorelei_callback lorelei_start_manager_cb = {.kind = LORELEI_CB_START_MANAGER};

/* The channel table and the manager's queue, under `lock`. Slot 0 is never
 * used: channel id 0 is the manager. Free slots are chained through
 * next_free (0 ends the chain). */
struct slot {
    struct lorelei_channel *ch; /* NULL: free */
    uint32_t generation;
    uint32_t next_free;
};
/* Error-checking: see fork_prepare. */
static pthread_mutex_t lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static bool lock_held_for_fork;
static struct slot *slots;
static uint32_t n_slots = 1, cap_slots, free_head;
static struct lorelei_channel *spawn_head, *spawn_tail;
static _Atomic uint32_t spawn_seq; /* futex word: bumped on every enqueue */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t slot_of(uint64_t id)
{
    return (uint32_t)id;
}

static void channel_ref(struct lorelei_channel *ch)
{
    atomic_fetch_add(&ch->refs, 1);
}

static void channel_unref(struct lorelei_channel *ch)
{
    if (ch && atomic_fetch_sub(&ch->refs, 1) == 1) {
        free(ch);
    }
}

/* A free slot, under lock; grows the table when none is free. */
static uint32_t slot_take(void)
{
    if (free_head) {
        uint32_t i = free_head;
        free_head = slots[i].next_free;
        return i;
    }
    if (n_slots >= cap_slots) {
        uint32_t cap = cap_slots ? cap_slots * 2 : 64;
        struct slot *grown = cap > cap_slots ? realloc(slots, cap * sizeof(*slots)) : NULL;
        if (!grown) {
            lorelei_log("out of memory for %u host threads' callback channels", cap);
            abort();
        }
        memset(grown + cap_slots, 0, (cap - cap_slots) * sizeof(*grown));
        slots = grown;
        cap_slots = cap;
    }
    return n_slots++;
}

/* Frees ch's slot for reuse and drops the slot's reference, once: false if
 * the slot was already freed. */
static bool slot_release(struct lorelei_channel *ch)
{
    uint32_t i = slot_of(ch->id);
    pthread_mutex_lock(&lock);
    bool held = i < n_slots && slots[i].ch == ch;
    if (held) {
        slots[i].ch = NULL;
        slots[i].next_free = free_head;
        free_head = i;
    }
    pthread_mutex_unlock(&lock);
    if (held) {
        channel_unref(ch);
    }
    return held;
}

/* The live channel with this id, with a reference for the caller; NULL for
 * an id that is unknown, or stale (its slot was reused since). */
static struct lorelei_channel *channel_lookup(uint64_t id)
{
    uint32_t i = slot_of(id);
    struct lorelei_channel *ch = NULL;
    pthread_mutex_lock(&lock);
    if (i != 0 && i < n_slots && slots[i].ch && slots[i].ch->id == id) {
        ch = slots[i].ch;
        channel_ref(ch);
    }
    pthread_mutex_unlock(&lock);
    return ch;
}

static struct lorelei_channel *channel_new(void)
{
    struct lorelei_channel *ch = calloc(1, sizeof(*ch));
    if (!ch) {
        lorelei_log("out of memory for a host thread's callback channel");
        abort();
    }
    ch->refs = 3; /* the host thread, the manager, the slot */
    pthread_mutex_lock(&lock);
    uint32_t i = slot_take();
    /* Never generation 0: id 0 is the manager, and a zeroed id is no id. */
    if (++slots[i].generation == 0) {
        slots[i].generation = 1;
    }
    ch->id = (uint64_t)slots[i].generation << 32 | i;
    slots[i].ch = ch;
    ch->spawn_cb = (struct lorelei_callback){.kind = LORELEI_CB_SPAWN_SERVICE,
                                             .fn = ch->id,
                                             .frame = (uint64_t)(uintptr_t)&ch->spawn_status};
    ch->exit_cb = (struct lorelei_callback){.kind = LORELEI_CB_EXIT_SERVICE, .fn = ch->id};
    if (spawn_tail) {
        spawn_tail->next_spawn = ch;
    } else {
        spawn_head = ch;
    }
    spawn_tail = ch;
    pthread_mutex_unlock(&lock);
    atomic_fetch_add(&spawn_seq, 1);
    lorelei_futex_wake_all(&spawn_seq);
    lorelei_debug("channel %u (generation %u): asking the guest for a service thread", i,
                  (uint32_t)(ch->id >> 32));
    return ch;
}

/* Nobody will serve ch: its waiting host thread skips the callback and asks
 * for a new service thread next time; the slot is free for reuse. */
static void channel_break(struct lorelei_channel *ch)
{
    slot_release(ch);
    atomic_store(&ch->broken, true);
    atomic_store(&ch->done, 1);
    lorelei_futex_wake_all(&ch->done);
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
        t->channel->host_token = lorelei_host_thread_token();
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

uint64_t lorelei_host_thread_token(void)
{
    return (uint64_t)pthread_self();
}

bool lorelei_serving_host_thread(uint64_t token)
{
    struct lorelei_thread *t = lorelei_thread_peek();
    return t && t->serving && t->serving->host_token == token;
}

static void serve(struct lorelei_thread *t, struct lorelei_channel *ch, struct lorelei_callback *cb)
{
    t->serving = ch; /* owns the reference the caller took for it */
    t->serving_cb = (uint64_t)(uintptr_t)cb;
}

static int64_t wait_spawn_request(struct lorelei_thread *t)
{
    for (;;) {
        uint32_t seq = atomic_load(&spawn_seq);
        pthread_mutex_lock(&lock);
        struct lorelei_channel *ch = spawn_head;
        if (ch) {
            spawn_head = ch->next_spawn;
            if (!spawn_head) {
                spawn_tail = NULL;
            }
        }
        pthread_mutex_unlock(&lock);
        if (ch) {
            serve(t, ch, &ch->spawn_cb); /* the manager's reference */
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
    /* A service thread waits on its one channel until told to exit: look it
     * up once, and keep a reference while it is the one waited on. */
    struct lorelei_channel *ch = t->waits_on;
    if (!ch || ch->id != channel_id) {
        ch = channel_lookup(channel_id);
        if (!ch) {
            return -LORELEI_ENOENT;
        }
        channel_unref(t->waits_on);
        t->waits_on = ch;
    }
    uint64_t spin_until = now_ns() + SPIN_NS;
    for (;;) {
        uint32_t s = atomic_load_explicit(&ch->state, memory_order_acquire);
        if (s == REQUESTED) {
            uint32_t expected = REQUESTED;
            if (atomic_compare_exchange_strong(&ch->state, &expected, TAKEN)) {
                channel_ref(ch);
                serve(t, ch, ch->request);
                return (int64_t)t->serving_cb;
            }
            continue;
        }
        if (atomic_load(&ch->closed)) {
            channel_ref(ch);
            serve(t, ch, &ch->exit_cb);
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

static void report_spawn_failure(struct lorelei_channel *ch)
{
    static atomic_bool said;
    if (!atomic_exchange(&said, true)) {
        lorelei_log("the guest could not start a thread to run a host thread's callbacks "
                    "(pthread_create failed with error %d: the game may be at its thread "
                    "limit); such callbacks are skipped (they return 0) until a later one "
                    "can start it",
                    (int)ch->spawn_status);
    }
    lorelei_debug("channel %u: the guest could not start its service thread (error %d)",
                  slot_of(ch->id), (int)ch->spawn_status);
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
            report_spawn_failure(ch);
            channel_break(ch);
        }
    } else if (cb == (uint64_t)(uintptr_t)&ch->exit_cb) {
        slot_release(ch); /* the service thread is done with the id */
        if (t->waits_on == ch) {
            t->waits_on = NULL;
            channel_unref(ch);
        }
    } else {
        atomic_store(&ch->done, 1);
        if (atomic_load(&ch->host_sleeping)) {
            lorelei_futex_wake_all(&ch->done);
        }
    }
    channel_unref(ch); /* t->serving's */
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
    if ((ch = t->serving)) {
        /* A guest thread that ends inside a callback (pthread_exit) will not
         * report it: its host thread must not wait for it forever. */
        t->serving = NULL;
        if ((uint64_t)(uintptr_t)&ch->spawn_cb != t->serving_cb) {
            channel_break(ch);
        }
        channel_unref(ch);
    }
    channel_unref(t->waits_on);
    t->waits_on = NULL;
}

/* fork(): the table and queue are taken consistent (prepare holds the
 * lock across the fork), then the child empties them. */
static void fork_prepare(void)
{
    /* Fails (EDEADLK) instead of waiting forever if the forking thread holds
     * it itself: a host library forking in code run under it. */
    lock_held_for_fork = pthread_mutex_lock(&lock) == 0;
}

static void fork_parent(void)
{
    if (lock_held_for_fork) {
        pthread_mutex_unlock(&lock);
    }
}

static void fork_child(void)
{
    /* Host threads do not survive fork(), and neither do the guest's service
     * threads: start from an empty table. Old channels are dropped, not
     * freed: other threads' state may still point at them. Generations
     * are kept, so no id from before the fork addresses a new channel. */
    free_head = 0;
    for (uint32_t i = n_slots; i-- > 1;) {
        slots[i].ch = NULL;
        slots[i].next_free = free_head;
        free_head = i;
    }
    spawn_head = spawn_tail = NULL;
    atomic_store(&lorelei_manager_wanted, true);
    struct lorelei_thread *t = lorelei_thread_peek();
    if (t) {
        t->channel = NULL;
        t->serving = NULL;
        t->waits_on = NULL;
    }
    /* Made anew, not unlocked: the child's thread has another thread id than
     * the one that took it, and an error-checking mutex checks. */
    lock = (pthread_mutex_t)PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}
