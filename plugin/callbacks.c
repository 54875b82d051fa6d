/*
 * Guest function pointers handed to host libraries. A guest function cannot
 * be called by host code directly (it is x86_64 code for the emulator), so
 * the host gets a trampoline instead: for every callback signature the
 * generator writes LORELEI_CALLBACK_SLOTS host functions, each bound at run
 * time to one guest function. Calling trampoline k of signature s packs the
 * arguments and calls lorelei_call_guest with slot k's guest function.
 *
 * Slots are claimed with compare-and-swap and never released: a game hands a
 * library a handful of distinct callback functions, and a slot that stays
 * bound keeps every host pointer it was given valid.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

bool lorelei_calls_run_on_this_thread(struct lorelei_thread *t, struct lorelei_callback *cb);

void *lorelei_host_callback(const struct lorelei_host_lib *lib, uint32_t sig, uint64_t guest_fn)
{
    if (!guest_fn) {
        return NULL;
    }
    if (sig >= lib->n_sigs) {
        lorelei_log("%s: callback signature %u out of range (generator bug)", lib->name, sig);
        abort();
    }
    const struct lorelei_callback_sig *s = &lib->sigs[sig];
    for (int k = 0; k < LORELEI_CALLBACK_SLOTS; k++) {
        uint64_t bound = atomic_load_explicit(&s->guest_fns[k], memory_order_acquire);
        if (bound == guest_fn) {
            return s->trampolines[k];
        }
        if (bound == 0) {
            uint64_t expected = 0;
            if (atomic_compare_exchange_strong(&s->guest_fns[k], &expected, guest_fn) ||
                expected == guest_fn) {
                lorelei_lib_arm(lib);
                return s->trampolines[k];
            }
        }
    }
    lorelei_log("%s: the game registered more than %d different %s callbacks; qemu-lorelei "
                "cannot forward more (rebuild with a larger LORELEI_CALLBACK_SLOTS)",
                lib->name, LORELEI_CALLBACK_SLOTS, s->name);
    abort();
}

uint64_t lorelei_guest_callback(const struct lorelei_host_lib *lib, uint32_t sig, void *host_fn)
{
    if (!host_fn || sig >= lib->n_sigs) {
        return 0;
    }
    const struct lorelei_callback_sig *s = &lib->sigs[sig];
    for (int k = 0; k < LORELEI_CALLBACK_SLOTS; k++) {
        if (s->trampolines[k] == host_fn) {
            return atomic_load_explicit(&s->guest_fns[k], memory_order_acquire);
        }
    }
    return 0;
}

/* Live shadows: few at a time (one per host call with such an argument), so a
 * small array scanned without locks will do. Each remembers the thread whose
 * host call made it: after fork() the child drops the others', whose calls
 * it does not have (they would never be popped, and a new shadow at the same
 * address would find their original). */
enum { MAX_SHADOWS = 64 };
static _Atomic(void *) shadow_of[MAX_SHADOWS], original_of[MAX_SHADOWS];
static _Atomic(struct lorelei_thread *) owner_of[MAX_SHADOWS];

void lorelei_shadow_push(void *shadow, void *original)
{
    for (int i = 0; i < MAX_SHADOWS; i++) {
        void *expected = NULL;
        if (atomic_compare_exchange_strong(&shadow_of[i], &expected, (void *)1)) {
            atomic_store(&owner_of[i], lorelei_thread_peek());
            atomic_store(&original_of[i], original);
            atomic_store(&shadow_of[i], shadow);
            return;
        }
    }
    lorelei_log("more than %d host calls with callback objects at once; callbacks of the latest "
                "see a copy of their object",
                MAX_SHADOWS);
}

void lorelei_shadow_pop(void *shadow)
{
    for (int i = 0; i < MAX_SHADOWS; i++) {
        if (atomic_load(&shadow_of[i]) == shadow) {
            atomic_store(&original_of[i], NULL);
            atomic_store(&shadow_of[i], NULL);
            return;
        }
    }
}

static void drop_other_threads_shadows(void)
{
    struct lorelei_thread *me = lorelei_thread_peek();
    for (int i = 0; i < MAX_SHADOWS; i++) {
        if (atomic_load(&shadow_of[i]) && atomic_load(&owner_of[i]) != me) {
            atomic_store(&original_of[i], NULL);
            atomic_store(&shadow_of[i], NULL);
        }
    }
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
    pthread_atfork(NULL, NULL, drop_other_threads_shadows);
}

void *lorelei_shadow_original(void *p)
{
    for (int i = 0; i < MAX_SHADOWS; i++) {
        if (atomic_load_explicit(&shadow_of[i], memory_order_acquire) == p) {
            void *o = atomic_load(&original_of[i]);
            return o ? o : p;
        }
    }
    return p;
}

void lorelei_call_guest(const struct lorelei_host_lib *lib, uint32_t sig, uint64_t guest_fn,
                        uint64_t *frame)
{
    struct lorelei_callback cb = {
        .kind = LORELEI_CB_CALL,
        .invoker = lorelei_lib_invoker(lib, sig),
        .fn = guest_fn,
        .frame = (uint64_t)(uintptr_t)frame,
    };
    if (!cb.invoker) {
        lorelei_log("%s: no guest invoker for callback signature %u; the guest stub and the "
                    "plugin were built from different descriptions",
                    lib->name, sig);
        abort();
    }
    struct lorelei_thread *t = lorelei_thread_peek();
    if (lorelei_calls_run_on_this_thread(t, &cb)) {
        return;
    }
    lorelei_service_call(lorelei_thread_get(false), &cb);
}
