/*
 * Unit test of the plugin's coroutines (plugin/coro.c + coro_switch_<arch>.S),
 * built natively and cross-compiled (static) for aarch64 and riscv64, where it
 * runs under qemu-user. What each switch must keep, per its ABI:
 *   - every callee-saved integer and FP register (regs_<arch>.S loads known
 *     values before a switch and reads them back after it, on both sides);
 *   - the FP control state (x86: MXCSR and the x87 control word; aarch64:
 *     FPCR; riscv64: fcsr), which is per context: the host code on a
 *     coroutine may change the rounding mode and call back into the guest,
 *     and QEMU's own code must not run with it;
 *   - a fresh coroutine starts with the default FP environment and a stack
 *     aligned as after a call.
 * Prints one line per check; exits 1 at the first failure.
 */
#include "coro.h"

#include <fenv.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ARCH       "x86_64"
#define N_INT      6 /* rbx rbp r12 r13 r14 r15 */
#define N_FP       0
#define FP_MASK    0xffffffffffffull
#define FPCTL_NAME "MXCSR rounding and FTZ, x87 rounding and precision"
#elif defined(__aarch64__)
#define ARCH       "aarch64"
#define N_INT      11 /* x19..x29 */
#define N_FP       8  /* d8..d15 */
#define FP_MASK    0xffffffffull
#define FPCTL_NAME "FPCR rounding and FZ"
#elif defined(__riscv) && __riscv_xlen == 64
#define ARCH       "riscv64"
#define N_INT      12 /* s0..s11 */
#define N_FP       12 /* fs0..fs11 */
#define FP_MASK    0xffull
#define FPCTL_NAME "fcsr rounding mode"
#else
#error "no coroutine test for this architecture"
#endif
#define N_REGS (N_INT + N_FP)

void coro_test_with_regs(const uint64_t *in, uint64_t *out, void (*fn)(void *), void *arg);
uintptr_t coro_test_caller_sp(void);

static int checks, passed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        checks++;                                                                                  \
        if (!(cond)) {                                                                             \
            printf("FAIL [%s] %s:%d: ", ARCH, __FILE__, __LINE__);                                 \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
            fflush(stdout);                                                                        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static void ok(const char *what)
{
    passed++;
    printf("ok [%s] %s\n", ARCH, what);
    fflush(stdout);
}

/* ---- the FP control state, read and written whole --------------------------- */

struct fpctl {
    uint64_t word; /* x86: MXCSR | x87 CW << 32; aarch64: FPCR; riscv: frm */
};

static struct fpctl fpctl_get(void)
{
    struct fpctl f = {0};
#if defined(__x86_64__)
    uint32_t mxcsr = 0;
    uint16_t cw = 0;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    /* The MXCSR exception flags (bits 0-5) are status, not control. */
    f.word = (mxcsr & ~0x3fu) | (uint64_t)cw << 32;
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    f.word = fpcr;
#else
    uint64_t frm;
    __asm__ volatile("frrm %0" : "=r"(frm));
    f.word = frm;
#endif
    return f;
}

/* The default environment a new thread (and a new coroutine) starts with. */
static const uint64_t fpctl_default =
#if defined(__x86_64__)
    0x1f80u | (uint64_t)0x037fu << 32;
#else
    0;
#endif

/* A non-default control state: round toward zero plus, where there is one,
 * flush-to-zero (x86 MXCSR.FTZ, aarch64 FPCR.FZ) and, on x86, the x87
 * precision-control field, which fesetround leaves alone. */
static void fpctl_set_unusual(int variant)
{
    fesetround(variant ? FE_TOWARDZERO : FE_UPWARD);
#if defined(__x86_64__)
    uint32_t mxcsr;
    uint16_t cw;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr |= 0x8000u; /* FTZ */
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw = (uint16_t)((cw & ~0x300u) | (variant ? 0x000u : 0x200u)); /* precision control */
    __asm__ volatile("fldcw %0" : : "m"(cw));
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr |= 1u << 24; /* FZ */
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#endif
}

static void fpctl_reset(void)
{
#if defined(__x86_64__)
    uint32_t mxcsr = 0x1f80u;
    uint16_t cw = 0x037fu;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    __asm__ volatile("fldcw %0" : : "m"(cw));
#elif defined(__aarch64__)
    __asm__ volatile("msr fpcr, %0" : : "r"((uint64_t)0));
#else
    fesetround(FE_TONEAREST);
#endif
}

/* ---- helpers ------------------------------------------------------------------ */

static void enter_fn(void *c)
{
    lorelei_coro_enter(c);
}

static void leave_fn(void *c)
{
    lorelei_coro_leave(c);
}

static int on_stack_of(const struct lorelei_coro *c, const void *p)
{
    const char *lo = c->stack, *hi = lo + c->map_size;
    return (const char *)p >= lo && (const char *)p < hi;
}

static void fill(uint64_t *v, uint64_t seed)
{
    for (int i = 0; i < N_REGS; i++) {
        /* Distinct, never a valid address, FP values are NaN-free doubles. */
        uint64_t x = seed * 0x9e3779b97f4a7c15ull + (uint64_t)i * 0x0101010101010101ull;
        v[i] = i < N_INT ? (x | 0x8000000000000000ull) : (0x4000000000000000ull | (x & FP_MASK));
    }
}

static void expect_regs(const uint64_t *want, const uint64_t *got, const char *side)
{
    for (int i = 0; i < N_REGS; i++) {
        CHECK(want[i] == got[i],
              "%s: %s register #%d was 0x%016llx before the switch, 0x%016llx after", side,
              i < N_INT ? "integer" : "FP", i < N_INT ? i : i - N_INT, (unsigned long long)want[i],
              (unsigned long long)got[i]);
    }
}

/* ---- 1. switching in and out; a body loops forever ---------------------------- */

struct counter_job {
    int count;
    uintptr_t sp_first, sp_resumed;
    const void *local;
};

static void counter_body(struct lorelei_coro *c)
{
    struct counter_job *j = c->job;
    int local = 0;
    j->local = &local;
    j->sp_first = coro_test_caller_sp();
    for (;;) {
        j->count++;
        lorelei_coro_leave(c);
        j->sp_resumed = coro_test_caller_sp();
    }
}

static void test_switch(void)
{
    struct counter_job j = {0};
    struct lorelei_coro *c = lorelei_coro_new(64 << 10, counter_body);
    CHECK(c != NULL, "lorelei_coro_new failed");
    c->job = &j;
    for (int i = 1; i <= 100; i++) {
        lorelei_coro_enter(c);
        CHECK(j.count == i, "after %d switches the body counted %d", i, j.count);
    }
    CHECK(on_stack_of(c, j.local), "the body's locals are not on its own stack");
    CHECK(j.sp_first % 16 == 0, "a fresh coroutine's stack is misaligned at a call (sp %% 16 = %d)",
          (int)(j.sp_first % 16));
    CHECK(j.sp_resumed % 16 == 0, "a resumed coroutine's stack is misaligned (sp %% 16 = %d)",
          (int)(j.sp_resumed % 16));
    lorelei_coro_free(c);
    ok("switch in and out 100 times; the stack is 16-byte aligned at calls (fresh and resumed)");
}

/* ---- 2. nested: a coroutine enters another ----------------------------------- */

static char trace[64];
static struct lorelei_coro *inner_coro;

static void note(char ch)
{
    size_t n = strlen(trace);
    trace[n] = ch;
    trace[n + 1] = '\0';
}

static void inner_body(struct lorelei_coro *c)
{
    for (;;) {
        note('b');
        lorelei_coro_leave(c); /* back to the outer coroutine, not to main */
        note('B');
        lorelei_coro_leave(c);
    }
}

static void outer_body(struct lorelei_coro *c)
{
    for (;;) {
        note('a');
        lorelei_coro_enter(inner_coro);
        note('A');
        lorelei_coro_leave(c);
        lorelei_coro_enter(inner_coro);
        note('x');
        lorelei_coro_leave(c);
    }
}

static void test_nested(void)
{
    struct lorelei_coro *outer = lorelei_coro_new(64 << 10, outer_body);
    inner_coro = lorelei_coro_new(64 << 10, inner_body);
    CHECK(outer != NULL && inner_coro != NULL, "lorelei_coro_new failed");
    lorelei_coro_enter(outer);
    note('m');
    lorelei_coro_enter(outer);
    note('M');
    CHECK(strcmp(trace, "abAmBxM") == 0,
          "nested switches ran in the order '%s', expected 'abAmBxM'", trace);
    lorelei_coro_free(inner_coro);
    lorelei_coro_free(outer);
    ok("nested: a coroutine enters another, which leaves back to it");
}

/* ---- 3. callee-saved registers, both directions ------------------------------ */

struct regs_job {
    uint64_t want[N_REGS], got[N_REGS];
    int rounds;
};

static void regs_body(struct lorelei_coro *c)
{
    struct regs_job *j = c->job;
    for (int round = 0;; round++) {
        fill(j->want, 1000 + (uint64_t)round);
        /* Leave holding the coroutine's values; main then loads its own and
         * enters again: the coroutine must get its values back. */
        coro_test_with_regs(j->want, j->got, leave_fn, c);
        expect_regs(j->want, j->got, "coroutine side");
        j->rounds++;
    }
}

static void test_registers(void)
{
    struct regs_job j = {0};
    struct lorelei_coro *c = lorelei_coro_new(64 << 10, regs_body);
    CHECK(c != NULL, "lorelei_coro_new failed");
    c->job = &j;
    uint64_t want[N_REGS], got[N_REGS];
    for (int round = 0; round < 50; round++) {
        fill(want, (uint64_t)round);
        coro_test_with_regs(want, got, enter_fn, c);
        expect_regs(want, got, "caller side");
    }
    CHECK(j.rounds == 49, "the coroutine checked %d rounds, expected 49", j.rounds);
    lorelei_coro_free(c);
    char what[160];
    snprintf(what, sizeof(what),
             "%d callee-saved integer and %d FP registers kept across switches, both sides", N_INT,
             N_FP);
    ok(what);
}

/* ---- 4. the FP control state --------------------------------------------------- */

struct fp_job {
    uint64_t at_start, coro_set, after_resume;
};

static void fp_body(struct lorelei_coro *c)
{
    struct fp_job *j = c->job;
    j->at_start = fpctl_get().word;
    fpctl_set_unusual(1);
    j->coro_set = fpctl_get().word;
    lorelei_coro_leave(c);
    j->after_resume = fpctl_get().word;
    fpctl_reset();
    for (;;) {
        lorelei_coro_leave(c);
    }
}

static void test_fp_control(void)
{
    struct fp_job j = {0};
    struct lorelei_coro *c = lorelei_coro_new(64 << 10, fp_body);
    CHECK(c != NULL, "lorelei_coro_new failed");
    c->job = &j;
    fpctl_set_unusual(0);
    uint64_t mine = fpctl_get().word;
    CHECK(mine != fpctl_default, "could not change the FP control state (0x%llx)",
          (unsigned long long)mine);
    lorelei_coro_enter(c);
    uint64_t back = fpctl_get().word;
    fpctl_reset();
    uint64_t reset = fpctl_get().word;
    lorelei_coro_enter(c);
    uint64_t end = fpctl_get().word;
    fpctl_reset();
    lorelei_coro_free(c);
    CHECK(j.at_start == fpctl_default,
          "a fresh coroutine starts with FP control 0x%llx, expected the default 0x%llx "
          "(it inherited its creator's state)",
          (unsigned long long)j.at_start, (unsigned long long)fpctl_default);
    CHECK(back == mine,
          "the caller's FP control state was 0x%llx before entering, 0x%llx after the "
          "coroutine (which set 0x%llx) left",
          (unsigned long long)mine, (unsigned long long)back, (unsigned long long)j.coro_set);
    CHECK(j.after_resume == j.coro_set,
          "the coroutine set FP control 0x%llx, and had 0x%llx when resumed by a caller with "
          "0x%llx",
          (unsigned long long)j.coro_set, (unsigned long long)j.after_resume,
          (unsigned long long)reset);
    CHECK(end == reset, "the caller's FP control state 0x%llx became 0x%llx",
          (unsigned long long)reset, (unsigned long long)end);
    ok("FP control state (" FPCTL_NAME ") is per coroutine; fresh ones start with the default");
}

/* ---- 5. many coroutines, interleaved --------------------------------------------- */

#define MANY 1000

static void many_body(struct lorelei_coro *c)
{
    struct counter_job *j = c->job;
    int local = 0;
    j->local = &local;
    for (;;) {
        /* Use some stack, so overlapping stacks would corrupt each other. */
        volatile char pad[512];
        memset((char *)pad, (char)j->count, sizeof(pad));
        j->count++;
        lorelei_coro_leave(c);
        CHECK(pad[0] == (char)(j->count - 1) && pad[511] == (char)(j->count - 1),
              "a coroutine's stack changed while it was switched out");
    }
}

static void test_many(void)
{
    static struct lorelei_coro *cs[MANY];
    static struct counter_job jobs[MANY];
    for (int i = 0; i < MANY; i++) {
        cs[i] = lorelei_coro_new(16 << 10, many_body);
        CHECK(cs[i] != NULL, "lorelei_coro_new #%d failed", i);
        cs[i]->job = &jobs[i];
    }
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < MANY; i++) {
            int k = round % 2 ? MANY - 1 - i : i;
            lorelei_coro_enter(cs[k]);
        }
    }
    for (int i = 0; i < MANY; i++) {
        CHECK(jobs[i].count == 10, "coroutine %d ran %d times, expected 10", i, jobs[i].count);
        CHECK(on_stack_of(cs[i], jobs[i].local), "coroutine %d's locals are not on its stack", i);
        lorelei_coro_free(cs[i]);
    }
    ok("1000 coroutines, interleaved 10 rounds, each keeps its own stack");
}

/* ---- 6. the guard page --------------------------------------------------------- */

static volatile int recurse_limit = 1 << 30;

static int recurse(int depth)
{
    volatile char frame[1024];
    frame[0] = (char)depth;
    if (depth > recurse_limit) {
        return 0;
    }
    return recurse(depth + 1) + frame[0];
}

static void overflow_body(struct lorelei_coro *c)
{
    (void)c;
    recurse(0);
}

static void test_guard_page(void)
{
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork failed");
    if (pid == 0) {
        /* The default action, even under ASan (which would report and exit). */
        signal(SIGSEGV, SIG_DFL);
        struct rlimit no_core = {0, 0}; /* no core file (qemu-user writes one too) */
        setrlimit(RLIMIT_CORE, &no_core);
        struct lorelei_coro *c = lorelei_coro_new(16 << 10, overflow_body);
        lorelei_coro_enter(c);
        _exit(0); /* not reached: the overflow must fault */
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid failed");
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
          "overflowing a coroutine stack ended with status 0x%x, expected SIGSEGV from the "
          "guard page",
          status);
    ok("overflowing a coroutine's stack faults on its guard page");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_switch();
    test_nested();
    test_registers();
    test_fp_control();
    test_many();
    test_guard_page();
    printf("%d checks held\n%d passed, 0 failed\n", checks, passed);
    return 0;
}
