/*
 * Shared between the plugin's own files; generated code sees lorelei-host.h.
 *
 * Locking: the filter runs concurrently on every vCPU thread. Per-thread
 * state (struct lorelei_thread) is only touched by its thread. Libraries are
 * opened under libraries.c's mutex and read lock-free afterwards (the opened
 * flag is published with release/acquire). Callback slots and channels use
 * atomics; see callbacks.c and service.c.
 *
 * fork(): every file with a mutex (libraries.c, service.c, and the host
 * halves x11_host.c and gl_host.c) registers pthread_atfork handlers that
 * hold it across the fork, so the child gets it free and what it protects
 * consistent; state that belongs to threads the child does not have (service
 * channels, other threads' shadows) is dropped in the child.
 */
#ifndef LORELEI_PLUGIN_INTERNAL_H
#define LORELEI_PLUGIN_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "coro.h"
#include "lorelei-host.h"

/* QEMU's "restart this syscall" code (QEMU_ERESTARTSYS): returned by ops that
 * wait, so QEMU delivers a pending guest signal and re-issues the syscall. */
#define LORELEI_RESTART_SYSCALL (-512)

/* The host architecture the plugin was compiled for (its verbose log says it). */
#if defined(__x86_64__)
#define LORELEI_HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define LORELEI_HOST_ARCH "aarch64"
#elif defined(__riscv) && __riscv_xlen == 64
#define LORELEI_HOST_ARCH "riscv64"
#else
#define LORELEI_HOST_ARCH "an unknown architecture"
#endif

struct lorelei_options {
    bool verbose;
    size_t coro_stack_size; /* bytes, without the guard page */
    uint32_t enabled_libs;  /* bit per library id */
};
extern struct lorelei_options lorelei_opts;

/* One per host thread that runs Lorelei code; created on first use. */
struct lorelei_thread {
    bool is_vcpu;                 /* it entered the filter: a guest thread */
    bool big_stack;               /* enough host stack to run thunks directly */
    bool in_host_call;            /* host library code is running for the guest */
    struct lorelei_coro *running; /* the coroutine executing now, NULL on the vCPU stack */
    struct lorelei_coro *parked;  /* innermost coroutine waiting for CALLBACK_RETURN */
    struct lorelei_coro *pool;    /* finished coroutines kept for reuse */
    bool abandoned_reported;      /* the thread's exit already reported its parked calls */
    uint64_t next_token;
    struct lorelei_channel *channel; /* set once this thread needed a service thread */
    /* A CALL put off until the guest has started its manager (after fork). */
    bool deferred;
    uint64_t deferred_fn, deferred_frame;
    /* A service thread: the channel and callback it is running right now,
     * and the channel it waits on. */
    struct lorelei_channel *serving;
    uint64_t serving_cb;
    struct lorelei_inline_thread *inline_state; /* inline.c's, NULL until its first call */
    struct lorelei_channel *waits_on;
};

extern __thread struct lorelei_thread *lorelei_tls_thread
    __attribute__((tls_model("initial-exec")));
struct lorelei_thread *lorelei_thread_create(bool is_vcpu);

/* NULL if the thread never ran Lorelei code. */
static inline struct lorelei_thread *lorelei_thread_peek(void)
{
    return lorelei_tls_thread;
}

/* The calling thread's state; creates it (vCPU or not) on first use. */
static inline struct lorelei_thread *lorelei_thread_get(bool is_vcpu)
{
    struct lorelei_thread *t = lorelei_tls_thread;
    return __builtin_expect(t && (t->is_vcpu || !is_vcpu), 1) ? t : lorelei_thread_create(is_vcpu);
}

/* Frees what calls.c and service.c keep for a thread that is exiting. */
void lorelei_calls_thread_exit(struct lorelei_thread *t);
void lorelei_service_thread_exit(struct lorelei_thread *t);
/* The guest thread asked to end (exit): reports host calls it leaves parked,
 * before QEMU wakes the thread's joiners (lorelei_calls_thread_exit runs
 * later, when the host thread is gone, and the game may have ended by then). */
void lorelei_calls_thread_exiting(void);
#define LORELEI_GUEST_NR_EXIT 60 /* the guest's exit: the filter sees it first */

/* ---- ops (plugin.c dispatches to these) ----------------------------------- */
int64_t lorelei_op_hello(uint64_t guest_hello);
int64_t lorelei_op_lib_open(uint64_t guest_request);
int64_t lorelei_op_call(struct lorelei_thread *t, uint64_t fn_id, uint64_t frame);
int64_t lorelei_op_callback_return(struct lorelei_thread *t, uint64_t cb);
int64_t lorelei_op_wait_callback(struct lorelei_thread *t, uint64_t channel_id);

/* ---- libraries.c ----------------------------------------------------------- */
void lorelei_libs_init(void);
const struct lorelei_host_lib *lorelei_lib_by_id(uint64_t id);
const struct lorelei_host_lib *lorelei_lib_by_name(const char *name);
void *lorelei_lib_resolve_late(const struct lorelei_host_lib *lib, uint32_t index);
bool lorelei_lib_is_open(const struct lorelei_host_lib *lib);
bool lorelei_lib_is_armed(const struct lorelei_host_lib *lib);
void lorelei_lib_arm(const struct lorelei_host_lib *lib);
uint64_t lorelei_lib_invoker(const struct lorelei_host_lib *lib, uint32_t sig);
/* Comma-separated names of all libraries built into the plugin. */
const char *lorelei_lib_names(void);

/* ---- service.c: callbacks from threads the guest did not create ---------- */
void lorelei_service_call(struct lorelei_thread *t, struct lorelei_callback *cb);
int64_t lorelei_service_wait(struct lorelei_thread *t, uint64_t channel_id);
/* CALLBACK_RETURN for a callback a service thread ran; false if cb is not one. */
bool lorelei_service_complete(uint64_t cb, int64_t *status);
/* Set in a fork() child until a guest thread has restarted the manager. */
extern atomic_bool lorelei_manager_wanted;
extern struct lorelei_callback lorelei_start_manager_cb;

/* ---- inline.c: calls served without leaving the CPU loop ------------------ */
enum lorelei_arg_result { LORELEI_ARG_NOT_MINE, LORELEI_ARG_OK, LORELEI_ARG_BAD };
/* A plugin argument key=val (key klen bytes long) inline.c knows, or not. */
enum lorelei_arg_result lorelei_inline_parse_arg(const char *key, size_t klen, const char *val);
/* After the arguments: registers the translation callback (unless every
 * library takes the syscall path). */
void lorelei_inline_install(uint64_t id); /* a qemu_plugin_id_t */
void lorelei_inline_thread_exit(struct lorelei_thread *t);

/* ---- signals.c ------------------------------------------------------------- */
/* True when QEMU has taken a host signal for the guest on this thread and
 * will deliver it once the current syscall returns. */
bool lorelei_guest_signal_pending(void);
/* Installs the wrappers that let SIGINT/SIGTERM/SIGHUP/SIGQUIT end a game
 * blocked in a host call. Call once QEMU's own handlers are in place. */
void lorelei_signals_init(void);
/* The filter sees the guest's rt_sigaction (before QEMU runs it): note the
 * new disposition; the wrappers are re-installed before the next host call. */
#define LORELEI_GUEST_NR_RT_SIGACTION 13
void lorelei_signals_note_sigaction(uint64_t sig, uint64_t guest_act);
void lorelei_signals_refresh(void);
extern atomic_bool lorelei_signals_dirty;

/* Reads `len` bytes at host address `addr` (a guest address, guest_base
 * being 0) without faulting if it is unmapped. */
bool lorelei_host_read(uint64_t addr, void *out, size_t len);
bool lorelei_host_write(uint64_t addr, const void *data, size_t len);
/* Set once a HELLO succeeded: guest_base == 0 is proven, guest pointers are
 * host pointers. Operations that read guest memory wait for it. */
extern atomic_bool lorelei_handshake_ok;

/* ---- messages ---------------------------------------------------------------- */
/* lorelei_log: lorelei-host.h */
void lorelei_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* LORELEI_PLUGIN_INTERNAL_H */
