/*
 * Coroutine stacks and the portable half of the switch. The register switch
 * itself is in coro_switch_<arch>.S:
 *   void lorelei_ctx_switch(void **save_sp, void *load_sp);
 * saves the callee-saved registers and the FP control state (x86: MXCSR and
 * the x87 control word; aarch64: FPCR; riscv64: fcsr) on the current stack,
 * stores the stack pointer in *save_sp, loads load_sp and pops the same
 * from there. The FP control state is per context because host code on a
 * coroutine may change the rounding mode and then call back into the guest:
 * QEMU's own code must not run with it. A fresh coroutine starts with the
 * default FP environment.
 * A fresh stack is laid out so that its first "return" lands in
 * lorelei_ctx_start, which calls body(coro) with the two values below.
 */
#include "coro.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void lorelei_ctx_switch(void **save_sp, void *load_sp);
void lorelei_ctx_start(void);

/* ASan must be told about every stack switch, or it reports false errors. */
#if defined(__SANITIZE_ADDRESS__)
#define LORELEI_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LORELEI_ASAN 1
#endif
#endif
#ifdef LORELEI_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

/* The initial frame lorelei_ctx_switch pops from a fresh stack, in words,
 * and which words carry (coro, body) into lorelei_ctx_start. Must match the
 * .S file of each architecture. */
#if defined(__x86_64__)
/* [fpu control words] rbp rbx r12 r13 r14 r15 [return] [pad]: 9 words, so
 * lorelei_ctx_start begins with the stack aligned as after a call. */
enum { FRAME_WORDS = 9, SLOT_CORO = 3 /* r12 */, SLOT_BODY = 4 /* r13 */, SLOT_RET = 7 };
#elif defined(__aarch64__)
/* x19..x30, d8..d15, FPCR, pad: 22 words (176 bytes, keeps sp 16-aligned);
 * FPCR 0 is the default environment a new thread starts with. */
enum {
    FRAME_WORDS = 22,
    SLOT_CORO = 0 /* x19 */,
    SLOT_BODY = 1 /* x20 */,
    SLOT_RET = 11 /* x30 */
};
#elif defined(__riscv) && __riscv_xlen == 64
/* ra s0..s11 fs0..fs11 fcsr: 26 words (208 bytes); fcsr 0 is the default
 * environment (round to nearest, no flags). */
enum { FRAME_WORDS = 26, SLOT_CORO = 2 /* s1 */, SLOT_BODY = 3 /* s2 */, SLOT_RET = 0 /* ra */ };
#else
#error "qemu-lorelei's plugin has no coroutine switch for this host architecture"
#endif

struct lorelei_coro *lorelei_coro_new(size_t stack_size, lorelei_coro_body body)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t size = ((stack_size + page - 1) / page) * page + page;
    struct lorelei_coro *c = calloc(1, sizeof(*c));
    if (!c) {
        return NULL;
    }
    /* MAP_NORESERVE: untouched stack pages cost nothing. The lowest page is
     * the guard, so an overflow faults instead of corrupting the heap. */
    void *map = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (map == MAP_FAILED) {
        free(c);
        return NULL;
    }
    mprotect(map, page, PROT_NONE);
    c->stack = map;
    c->map_size = size;
    c->body = body;

    uintptr_t top = ((uintptr_t)map + size) & ~(uintptr_t)15;
    uintptr_t *frame = (uintptr_t *)top - FRAME_WORDS;
    for (int i = 0; i < FRAME_WORDS; i++) {
        frame[i] = 0;
    }
#if defined(__x86_64__)
    /* slot 0 holds MXCSR (low half) and the x87 control word (high half):
     * the defaults, so host code starts with a standard FP environment. */
    frame[0] = 0x1f80u | ((uintptr_t)0x037fu << 32);
#endif
    frame[SLOT_CORO] = (uintptr_t)c;
    frame[SLOT_BODY] = (uintptr_t)body;
    frame[SLOT_RET] = (uintptr_t)lorelei_ctx_start;
    c->sp = frame;
    return c;
}

void lorelei_coro_free(struct lorelei_coro *c)
{
    if (c) {
        munmap(c->stack, c->map_size);
        free(c);
    }
}

void lorelei_coro_enter(struct lorelei_coro *c)
{
#ifdef LORELEI_ASAN
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *fake = NULL;
    __sanitizer_start_switch_fiber(&fake, (char *)c->stack + page, c->map_size - page);
    lorelei_ctx_switch(&c->caller_sp, c->sp);
    __sanitizer_finish_switch_fiber(fake, NULL, NULL);
#else
    lorelei_ctx_switch(&c->caller_sp, c->sp);
#endif
}

void lorelei_coro_leave(struct lorelei_coro *c)
{
#ifdef LORELEI_ASAN
    __sanitizer_start_switch_fiber(&c->asan_fake_stack, c->caller_stack_bottom,
                                   c->caller_stack_size);
    lorelei_ctx_switch(&c->sp, c->caller_sp);
    __sanitizer_finish_switch_fiber(c->asan_fake_stack, &c->caller_stack_bottom,
                                    &c->caller_stack_size);
#else
    lorelei_ctx_switch(&c->sp, c->caller_sp);
#endif
}

/* Called by lorelei_ctx_start on a fresh stack; never returns. */
void lorelei_coro_main(struct lorelei_coro *c, lorelei_coro_body body);
void lorelei_coro_main(struct lorelei_coro *c, lorelei_coro_body body)
{
#ifdef LORELEI_ASAN
    __sanitizer_finish_switch_fiber(NULL, &c->caller_stack_bottom, &c->caller_stack_size);
#endif
    body(c);
    abort(); /* a body loops forever, leaving with lorelei_coro_leave */
}
