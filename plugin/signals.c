/*
 * Signals while the guest is in a host call.
 *
 * 1. Detecting a pending guest signal. QEMU's host signal handler queues the
 *    signal for the guest and, on return, leaves the thread with every
 *    signal blocked - including the two glibc reserves for itself (32 and
 *    33), which nothing else ever blocks, since glibc's sigprocmask refuses
 *    to. QEMU unblocks them again once it has delivered the guest signal.
 *    So "host signal 32 is blocked" means "a guest signal is waiting for
 *    this syscall to return".
 *
 * 2. Ending a game blocked in a host call. A terminating signal (SIGINT,
 *    SIGTERM, SIGHUP, SIGQUIT) whose guest disposition is the default would
 *    only act once the host call returned - which for SDL_WaitEvent may be
 *    never. We wrap QEMU's host handler for those signals: after QEMU has
 *    queued it, if this thread is inside a host call and the guest left the
 *    default action, we take the default action now. A guest that installed
 *    its own handler gets it when the call returns (docs/abi.md).
 *    QEMU re-installs its handler whenever the guest calls rt_sigaction, so
 *    the filter notes each such call and the wrapper is put back before the
 *    next host call (lorelei_signals_refresh): a syscall-return callback
 *    would cost every guest syscall a few nanoseconds instead.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib.h>
#include <qemu-plugin.h>

#include "internal.h"

enum { HOST_SIG_MAX = 64 };
enum disposition { DISP_DEFAULT, DISP_IGNORE, DISP_HANDLER };

static const int fatal_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction qemu_handlers[HOST_SIG_MAX + 1];
static _Atomic int guest_disposition[HOST_SIG_MAX + 1]; /* indexed by guest = host number here */
static atomic_bool initialised;

/* Signals whose guest disposition changed since the wrappers were last
 * checked: bit per signal, set by the filter, consumed by refresh. */
static _Atomic uint64_t changed;
atomic_bool lorelei_signals_dirty;

bool lorelei_guest_signal_pending(void)
{
    uint64_t mask = 0;
    /* The raw syscall: glibc would hide the bits we look at. */
    if (syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, sizeof(mask)) != 0) {
        return false;
    }
    return (mask >> (32 - 1)) & 1;
}

static bool is_fatal(int sig)
{
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
        if (fatal_signals[i] == sig) {
            return true;
        }
    }
    return false;
}

static void wrapper(int sig, siginfo_t *info, void *uc)
{
    qemu_handlers[sig].sa_sigaction(sig, info, uc);
    struct lorelei_thread *t = lorelei_thread_peek();
    if (t && t->in_host_call && atomic_load(&guest_disposition[sig]) == DISP_DEFAULT) {
        /* The default action of these signals is to terminate: do it the way
         * the kernel would, so the parent sees "killed by signal". */
        struct sigaction dfl = {.sa_handler = SIG_DFL};
        sigaction(sig, &dfl, NULL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        _exit(128 + sig);
    }
}

static void wrap(int sig)
{
    struct sigaction cur;
    if (sigaction(sig, NULL, &cur) != 0 || !(cur.sa_flags & SA_SIGINFO) ||
        cur.sa_sigaction == wrapper) {
        return; /* SIG_DFL/SIG_IGN (guest ignores it, or no QEMU handler), or done */
    }
    qemu_handlers[sig] = cur;
    struct sigaction ours = cur;
    ours.sa_sigaction = wrapper;
    sigaction(sig, &ours, NULL);
}

void lorelei_signals_init(void)
{
    bool expected = false;
    if (!atomic_compare_exchange_strong(&initialised, &expected, true)) {
        return;
    }
    for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(fatal_signals[0]); i++) {
        wrap(fatal_signals[i]);
    }
}

void lorelei_signals_note_sigaction(uint64_t sig, uint64_t guest_act)
{
    if (sig > HOST_SIG_MAX || !is_fatal((int)sig) || !guest_act) {
        return;
    }
    /* The guest's struct sigaction starts with the handler (kernel layout).
     * Read through QEMU: the pointer is the guest's and may be bad (EFAULT). */
    GByteArray *buf = g_byte_array_new();
    uint64_t handler = 0;
    bool ok = qemu_plugin_read_memory_vaddr(guest_act, buf, sizeof(handler));
    if (ok) {
        memcpy(&handler, buf->data, sizeof(handler));
    }
    g_byte_array_unref(buf);
    if (!ok) {
        return; /* QEMU will fail the call with EFAULT: nothing changes */
    }
    atomic_store(&guest_disposition[sig], handler == 0   ? DISP_DEFAULT
                                          : handler == 1 ? DISP_IGNORE
                                                         : DISP_HANDLER);
    atomic_fetch_or(&changed, 1ull << (sig - 1));
    atomic_store(&lorelei_signals_dirty, true);
}

void lorelei_signals_refresh(void)
{
    atomic_store(&lorelei_signals_dirty, false);
    uint64_t bits = atomic_exchange(&changed, 0);
    if (!atomic_load(&initialised)) {
        return;
    }
    for (int sig = 1; sig <= HOST_SIG_MAX; sig++) {
        if (bits & (1ull << (sig - 1))) {
            wrap(sig);
        }
    }
}
