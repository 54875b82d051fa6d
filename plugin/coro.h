/*
 * Minimal stackful coroutines for host calls that may call back into the
 * guest: the host function runs on a coroutine stack, and when it calls a
 * guest function pointer we switch back to the vCPU stack, return from the
 * syscall filter, let the guest run the callback, and switch back in on
 * CALLBACK_RETURN. A hand-written register switch (coro_switch_*.S) costs
 * tens of nanoseconds; ucontext would make a syscall per switch and restore
 * a signal mask QEMU relies on, so it is not an option.
 *
 * A coroutine is owned by one thread and reused: its body loops, running one
 * job per switch-in (coro_body), so a pool of them needs no re-initialisation.
 */
#ifndef LORELEI_CORO_H
#define LORELEI_CORO_H

#include <stddef.h>

struct lorelei_coro;
typedef void (*lorelei_coro_body)(struct lorelei_coro *c);

struct lorelei_coro {
    void *sp;        /* the coroutine's saved stack pointer */
    void *caller_sp; /* the stack pointer of whoever switched in */
    void *stack;     /* mapping: guard page + stack */
    size_t map_size;
    lorelei_coro_body body;
    void *asan_fake_stack;
    const void *caller_stack_bottom; /* for ASan's fiber bookkeeping */
    size_t caller_stack_size;
    /* The job, owned by the user of the coroutine. */
    void *job;
};

/* Maps a stack of `stack_size` bytes plus a guard page. NULL on failure. */
struct lorelei_coro *lorelei_coro_new(size_t stack_size, lorelei_coro_body body);
void lorelei_coro_free(struct lorelei_coro *c);
/* From the owning thread: run the coroutine until it switches out. */
void lorelei_coro_enter(struct lorelei_coro *c);
/* From inside the coroutine: return to lorelei_coro_enter's caller. */
void lorelei_coro_leave(struct lorelei_coro *c);

#endif /* LORELEI_CORO_H */
