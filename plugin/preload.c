/*
 * liblorelei-preload.so - preloaded into QEMU (never into the guest:
 * qemu-lorelei passes -U LD_PRELOAD) so that every thread a host library
 * creates starts with all signals blocked.
 *
 * Why: QEMU's signal handler assumes it runs on a vCPU thread. A signal the
 * kernel delivers to a thread SDL or Mesa created (its audio thread, a
 * shader compiler) would crash QEMU. Blocked there, process signals go to a
 * vCPU thread instead. QEMU's own threads are unaffected: it sets the mask of
 * each thread it creates explicitly.
 *
 * The mask is set in the creating thread around the real pthread_create, so
 * the new thread inherits it; no trampoline, no allocation.
 *
 * It also guards fork(): a host library that forks (libdbus starting a
 * session bus, for instance) from a call the plugin runs inline - inside
 * QEMU's translated code, within its RCU read-side section - would deadlock
 * against QEMU's RCU fork handlers or abort in the child. The plugin installs
 * lorelei_preload_fork_refused; when it says so, fork fails with EAGAIN
 * (and the plugin sends that function through the syscall path from then
 * on, where forking is safe). QEMU's own forks, for the guest's fork(), run
 * outside translated code and are never refused.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

__attribute__((visibility("default"))) int lorelei_preload_active = 1;

typedef int (*pthread_create_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static pthread_create_fn real_create;
static pthread_once_t find_real_once = PTHREAD_ONCE_INIT;

static void find_real(void)
{
    real_create = (pthread_create_fn)dlsym(RTLD_NEXT, "pthread_create");
}

__attribute__((visibility("default"))) int
pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
    /* Host libraries start threads from several threads at once. */
    pthread_once(&find_real_once, find_real);
    pthread_create_fn real = real_create;
    if (!real) {
        return EAGAIN; /* no libpthread after us: cannot happen in a linked process */
    }
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int ret = real(thread, attr, start, arg);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return ret;
}

/* Set by the plugin (plugin/inline.c) at install. */
__attribute__((visibility("default"))) bool (*lorelei_preload_fork_refused)(void);

__attribute__((visibility("default"))) pid_t fork(void)
{
    static pid_t (*real)(void);
    if (!real) {
        real = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");
    }
    bool (*refused)(void) = __atomic_load_n(&lorelei_preload_fork_refused, __ATOMIC_ACQUIRE);
    if (refused && refused()) {
        errno = EAGAIN;
        return -1;
    }
    return real();
}
