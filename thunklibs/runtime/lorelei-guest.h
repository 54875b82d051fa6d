/*
 * The guest runtime's interface for the generated stubs (thunkgen's
 * *_guest.c) and hand-written guest-side functions. Only the runtime and the
 * stubs issue the magic syscall; see include/lorelei/abi.h.
 */
#ifndef LORELEI_GUEST_H
#define LORELEI_GUEST_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>

#include "lorelei/abi.h"
#include "lorelei/frame.h"

#define LORELEI_GUEST_API __attribute__((visibility("default")))

static inline int64_t lorelei_syscall3(uint64_t op, uint64_t a2, uint64_t a3)
{
    int64_t ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"((uint64_t)LORELEI_SYSCALL_NR), "D"(op), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Anything but 0 from CALL: run callbacks until the call is done, or fail. */
LORELEI_GUEST_API void lorelei_call_slow(int64_t status, uint64_t fn_id);

/* Calls host function `fn_id` with the frame (arguments in, result out).
 * Callbacks the host asks for are run here, in the stub: every indirect
 * branch costs the emulator a lookup, so the common callback path avoids the
 * extra call into the runtime; anything unusual goes to lorelei_call_slow. */
static inline void lorelei_call(uint64_t fn_id, uint64_t *frame)
{
    int64_t status = lorelei_syscall3(LORELEI_OP_CALL, fn_id, (uint64_t)(uintptr_t)frame);
    while (__builtin_expect(status != 0, 0)) {
        const struct lorelei_callback *cb = (const struct lorelei_callback *)(uintptr_t)status;
        if (status < 0 || cb->kind != LORELEI_CB_CALL) {
            lorelei_call_slow(status, fn_id);
            return;
        }
        ((lorelei_invoker_fn)(uintptr_t)cb->invoker)(cb->fn, (uint64_t *)(uintptr_t)cb->frame);
        status = lorelei_syscall3(LORELEI_OP_CALLBACK_RETURN, (uint64_t)status, 0);
    }
}

/*
 * Calls host function `fn_id` (a constant) with `frame`, trying the inline
 * transport first (include/lorelei/abi.h): the two stores and the marker the
 * plugin recognises, then CALL if the plugin did not serve it inline. The
 * frame needs a status slot in front of it (frame[-1]), and top_slot is its
 * last slot. Must stay one asm statement: the plugin only honours the
 * marker right after the two stores.
 */
#define LORELEI_CALL_INLINE(fn_id, frame, top_slot)                                                \
    do {                                                                                           \
        uint64_t *lorelei_frame_ = (frame);                                                        \
        __asm__ volatile("movq %[id], -8(%[f])\n\t"                                                \
                         "movq $0, %c[top](%[f])\n\t" LORELEI_INLINE_MARKER_ASM                    \
                         :                                                                         \
                         : [f] "d"(lorelei_frame_), [id] "i"(fn_id), [top] "i"((top_slot)*8)       \
                         : "memory");                                                              \
        if (__builtin_expect(lorelei_frame_[-1] != 0, 0)) {                                        \
            lorelei_call((fn_id), lorelei_frame_);                                                 \
        }                                                                                          \
    } while (0)

/* Opens the library on the host (from the stub's constructor). On failure
 * prints why and ends the program: without its host library it cannot run. */
LORELEI_GUEST_API void lorelei_lib_open(uint32_t lib_id, uint32_t n_functions, uint64_t api_hash,
                                        const uint64_t *invokers, uint32_t n_invokers,
                                        const char *name, const char *soname);

/* A guest copy of a string the host library keeps (e.g. glGetString's):
 * one per distinct content, never freed. NULL for NULL. */
LORELEI_GUEST_API const char *lorelei_guest_string(const char *host);
/* The same for a list of strings, each NUL-terminated, the list ended by an
 * empty string (alcGetString's device lists). */
LORELEI_GUEST_API const char *lorelei_guest_string_list(const char *host);

/* printf-style formatting into guest memory (free() the result). */
LORELEI_GUEST_API char *lorelei_vformat(const char *fmt, va_list ap);

/* Push the guest's X11/xcb requests to the server before the host uses the
 * same server objects on its own connection (sync: wait until processed). */
LORELEI_GUEST_API void lorelei_x11_flush(void *display);
LORELEI_GUEST_API void lorelei_x11_sync(void *display);
LORELEI_GUEST_API void lorelei_xcb_flush(void *connection);

/* A guest symbol found by `lookup` (e.g. dlsym in the game's scope) on first
 * use and kept in *cache. Threads may race to the first use: each stores the
 * same value, and release/acquire makes the function pointer safe to call
 * for every thread that sees it. NULL (not kept) if lookup finds nothing. */
static inline void *lorelei_cached_symbol(_Atomic(void *) *cache, void *(*lookup)(const char *name),
                                          const char *name)
{
    void *sym = atomic_load_explicit(cache, memory_order_acquire);
    if (!sym && (sym = lookup(name))) {
        atomic_store_explicit(cache, sym, memory_order_release);
    }
    return sym;
}

/* True when running under qemu-lorelei's plugin (false natively). */
LORELEI_GUEST_API int lorelei_active(void);

#endif /* LORELEI_GUEST_H */
