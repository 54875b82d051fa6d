/*
 * CALL and CALLBACK_RETURN: running a host thunk for the guest, directly on
 * the vCPU stack or on a coroutine, and running guest callbacks on the same
 * thread by parking that coroutine while the guest runs them.
 *
 *   guest CALL ──► filter ──► thunk on coroutine C ──► host code ──► trampoline
 *                    ▲                                                 │
 *                    │ switch back: the filter returns &callback ◄─────┘
 *   guest runs the callback, then CALLBACK_RETURN ──► switch into C again
 *
 * Parked coroutines form a stack per thread (t->parked): callbacks nest
 * strictly LIFO, and CALLBACK_RETURN must name the innermost one. It names it
 * by the address of its struct lorelei_callback, which lives on the parked
 * coroutine's own stack, so the address tells parked calls apart. If the
 * guest unwinds out of a callback (longjmp, exceptions) the next
 * CALLBACK_RETURN names an outer callback: that is reported, not silently
 * resumed into the wrong host frame. A thread that ends inside a callback
 * (pthread_exit) leaves its parked coroutines behind: see
 * lorelei_calls_thread_exit. Each callback's token numbers it, for messages.
 */
#include <stdlib.h>

#include "internal.h"

struct call_job {
    struct lorelei_thread *thread;
    const struct lorelei_host_fn *fn;
    void *native;
    uint64_t *frame;
    int status;
    struct lorelei_callback *pending;  /* the callback the guest must run; NULL when done */
    struct lorelei_coro *parked_below; /* the next outer parked coroutine */
    struct lorelei_coro *next_free;
};

static inline struct call_job *job_of(struct lorelei_coro *c)
{
    return c->job;
}

/* The coroutine body: one thunk per switch-in, forever. */
static void call_body(struct lorelei_coro *c)
{
    for (;;) {
        struct call_job *j = job_of(c);
        j->status = j->fn->thunk(j->frame, j->native);
        j->pending = NULL;
        lorelei_coro_leave(c);
    }
}

static struct lorelei_coro *pool_take(struct lorelei_thread *t)
{
    struct lorelei_coro *c = t->pool;
    if (c) {
        t->pool = job_of(c)->next_free;
        return c;
    }
    c = lorelei_coro_new(lorelei_opts.coro_stack_size, call_body);
    struct call_job *j = calloc(1, sizeof(*j));
    if (!c || !j) {
        lorelei_log("cannot map a %zu KiB coroutine stack for a host call: out of memory",
                    lorelei_opts.coro_stack_size >> 10);
        abort();
    }
    j->thread = t;
    c->job = j;
    return c;
}

static void pool_give(struct lorelei_thread *t, struct lorelei_coro *c)
{
    job_of(c)->next_free = t->pool;
    t->pool = c;
}

/* The guest ended the thread inside a callback (pthread_exit, or an
 * exception thrown through it): the host calls parked below can never
 * finish. Said once, as early as the exit syscall. */
static void report_abandoned(struct lorelei_thread *t)
{
    if (t->abandoned_reported || !t->parked) {
        return;
    }
    t->abandoned_reported = true;
    int abandoned = 0;
    for (struct lorelei_coro *c = t->parked; c; c = job_of(c)->parked_below) {
        abandoned++;
    }
    lorelei_log("a guest thread ended inside a callback (pthread_exit, or an exception thrown "
                "through it): the %d host call%s it interrupted can never finish; what %s held "
                "(a lock of the host library, say) stays held",
                abandoned, abandoned == 1 ? "" : "s", abandoned == 1 ? "it" : "they");
}

void lorelei_calls_thread_exiting(void)
{
    struct lorelei_thread *t = lorelei_thread_peek();
    if (t) {
        report_abandoned(t);
    }
}

void lorelei_calls_thread_exit(struct lorelei_thread *t)
{
    /* The parked calls' stacks stay mapped, not reused: the host library
     * may still refer to what is on them. */
    report_abandoned(t);
    while (t->pool) {
        struct lorelei_coro *c = t->pool;
        t->pool = job_of(c)->next_free;
        free(c->job);
        lorelei_coro_free(c);
    }
}

/* Switch into c until it finishes or asks for a guest callback. */
static int64_t resume(struct lorelei_thread *t, struct lorelei_coro *c)
{
    struct call_job *j = job_of(c);
    struct lorelei_coro *outer = t->running;
    t->running = c;
    t->in_host_call = true;
    lorelei_coro_enter(c);
    t->in_host_call = false;
    t->running = outer;
    if (j->pending) {
        j->parked_below = t->parked;
        t->parked = c;
        return (int64_t)(uintptr_t)j->pending;
    }
    pool_give(t, c);
    return j->status;
}

static bool may_call_back(const struct lorelei_host_fn *fn, const struct lorelei_host_lib *lib)
{
    return (fn->flags & LORELEI_FN_MAY_CALLBACK) ||
           ((fn->flags & LORELEI_FN_CALLBACK_IF_ARMED) && lorelei_lib_is_armed(lib));
}

int64_t lorelei_op_call(struct lorelei_thread *t, uint64_t fn_id, uint64_t frame)
{
    const struct lorelei_host_lib *lib = lorelei_lib_by_id(LORELEI_FN_LIB(fn_id));
    uint64_t index = LORELEI_FN_INDEX(fn_id);
    if (!lib || index >= lib->n_fns || fn_id >> 32) {
        return -LORELEI_ENOENT;
    }
    if (!lorelei_lib_is_open(lib)) {
        return -LORELEI_ENOLINK;
    }
    if (__builtin_expect(atomic_load_explicit(&lorelei_signals_dirty, memory_order_relaxed), 0)) {
        lorelei_signals_refresh();
    }
    if (__builtin_expect(atomic_load_explicit(&lorelei_manager_wanted, memory_order_relaxed), 0) &&
        atomic_exchange(&lorelei_manager_wanted, false)) {
        t->deferred = true;
        t->deferred_fn = fn_id;
        t->deferred_frame = frame;
        return (int64_t)(uintptr_t)&lorelei_start_manager_cb;
    }
    const struct lorelei_host_fn *fn = &lib->fns[index];
    void *native = __atomic_load_n(&lib->natives[index], __ATOMIC_RELAXED);
    if (__builtin_expect(!native, 0) && !(native = lorelei_lib_resolve_late(lib, index))) {
        return lorelei_missing_native(lib, index);
    }
    uint64_t *f = (uint64_t *)(uintptr_t)frame;
    if (t->big_stack && !may_call_back(fn, lib)) {
        t->in_host_call = true;
        int status = fn->thunk(f, native);
        t->in_host_call = false;
        return status;
    }
    struct lorelei_coro *c = pool_take(t);
    struct call_job *j = job_of(c);
    j->fn = fn;
    j->native = native;
    j->frame = f;
    j->pending = NULL;
    return resume(t, c);
}

int64_t lorelei_op_callback_return(struct lorelei_thread *t, uint64_t cb)
{
    struct lorelei_coro *c = t->parked;
    if (c && (uint64_t)(uintptr_t)job_of(c)->pending == cb) {
        t->parked = job_of(c)->parked_below;
        job_of(c)->pending = NULL;
        return resume(t, c);
    }
    if (t->deferred && cb == (uint64_t)(uintptr_t)&lorelei_start_manager_cb) {
        t->deferred = false;
        return lorelei_op_call(t, t->deferred_fn, t->deferred_frame);
    }
    int64_t status;
    if (lorelei_service_complete(cb, &status)) {
        return status;
    }
    int deeper = 1;
    for (struct lorelei_coro *o = c ? job_of(c)->parked_below : NULL; o;
         o = job_of(o)->parked_below, deeper++) {
        if ((uint64_t)(uintptr_t)job_of(o)->pending == cb) {
            lorelei_log("callback #%llu returned while callback #%llu, %d level%s deeper, has not: "
                        "the guest left a callback without returning (longjmp or a C++ exception "
                        "out of a callback?). The host call it interrupted cannot be resumed.",
                        (unsigned long long)job_of(o)->pending->token,
                        (unsigned long long)job_of(c)->pending->token, deeper,
                        deeper == 1 ? "" : "s");
            return -LORELEI_EPROTO;
        }
    }
    lorelei_log("CALLBACK_RETURN for a callback that is not running on this thread: the guest left "
                "a callback without returning (longjmp, a C++ exception out of a callback?), or "
                "reported one twice. The host call it interrupted cannot be resumed.");
    return -LORELEI_EPROTO;
}

/* Same-thread callback: park the running coroutine until CALLBACK_RETURN.
 * Returns false if this thread is not running a coroutine (the caller then
 * hands the callback to a service thread). */
bool lorelei_calls_run_on_this_thread(struct lorelei_thread *t, struct lorelei_callback *cb)
{
    struct lorelei_coro *c = t ? t->running : NULL;
    if (!c) {
        return false;
    }
    cb->token = ++t->next_token;
    job_of(c)->pending = cb;
    lorelei_coro_leave(c);
    return true;
}
