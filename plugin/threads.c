/*
 * Per-thread state. A vCPU thread gets it on its first magic syscall; a
 * thread a host library created gets it when it first calls a guest
 * callback. It is freed by a pthread key destructor when the thread exits,
 * and with it the pooled coroutine stacks. A thread normally has no parked
 * coroutine when it exits; one the guest ended inside a callback
 * (pthread_exit: calls.c) does, and those are reported and left mapped
 * (lorelei_calls_thread_exit); a service thread ended inside a callback
 * releases the host thread waiting for it (lorelei_service_thread_exit).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* Host stack a thread needs left to run thunks directly on it: host library
 * code can be deep (Mesa compiling a shader), and QEMU gives guest-created
 * threads only 256 KiB. Threads with less run every thunk on a coroutine. */
#define DIRECT_CALL_MIN_STACK (2u << 20)

/* initial-exec: the plugin is dlopen'ed, and the default (general-dynamic)
 * model would call __tls_get_addr on every magic syscall. One pointer fits
 * easily in glibc's surplus static TLS for dlopen'ed libraries. */
__thread struct lorelei_thread *lorelei_tls_thread __attribute__((tls_model("initial-exec")));
#define tls_thread lorelei_tls_thread
static pthread_key_t thread_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_thread(void *p)
{
    struct lorelei_thread *t = p;
    lorelei_service_thread_exit(t);
    lorelei_calls_thread_exit(t);
    lorelei_inline_thread_exit(t);
    tls_thread = NULL;
    free(t);
}

static void make_key(void)
{
    if (pthread_key_create(&thread_key, free_thread) != 0) {
        lorelei_log("cannot create a thread key; per-thread state will leak");
    }
}

static bool has_big_stack(void)
{
    pthread_attr_t attr;
    void *base;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) {
        return false;
    }
    bool ok = pthread_attr_getstack(&attr, &base, &size) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        return false;
    }
    char here;
    size_t left = (size_t)(&here - (char *)base);
    return left >= DIRECT_CALL_MIN_STACK;
}

struct lorelei_thread *lorelei_thread_create(bool is_vcpu)
{
    struct lorelei_thread *t = tls_thread;
    if (t) {
        if (is_vcpu && !t->is_vcpu) {
            t->is_vcpu = true;
            t->big_stack = has_big_stack();
        }
        return t;
    }
    t = calloc(1, sizeof(*t));
    if (!t) {
        lorelei_log("out of memory for per-thread state");
        abort();
    }
    t->is_vcpu = is_vcpu;
    t->big_stack = is_vcpu && has_big_stack();
    pthread_once(&key_once, make_key);
    pthread_setspecific(thread_key, t);
    tls_thread = t;
    return t;
}
