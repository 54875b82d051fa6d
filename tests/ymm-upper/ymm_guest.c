/*
 * x86_64 guest for the ymm-upper tests (patch 0009), without libc: 256-bit
 * AVX2 operations (some TCG emits as host vector instructions, some it
 * calls helpers for) interleaved with scalar float operations (softfloat
 * helper calls), checked against the same arithmetic done one lane at a
 * time. Exits 0 when every lane and the float agree, else 1.
 */
#include <stdint.h>

enum { ROUNDS = 5000, LANES = 8 };

static int32_t ints[LANES] __attribute__((aligned(32)));
static float floats[LANES] __attribute__((aligned(32)));
static const int32_t steps[LANES] __attribute__((aligned(32))) = {1, 2, 3, 4, 5, 6, 7, 8};
/* Each lane becomes (x + c) * (1 - c) a round: 0 < c < 2 keeps it finite. */
static const float scales[LANES]
    __attribute__((aligned(32))) = {0.5f, 0.25f, 1.5f, 1.75f, 0.75f, 1.25f, 0.3f, 0.125f};

static void exit_with(long status)
{
    __asm__ volatile("syscall" : : "a"(60L), "D"(status) : "rcx", "r11", "memory");
    __builtin_unreachable();
}

/* One float step; volatile so each is a guest addss/mulss, not folded. */
static float step(volatile float x)
{
    return x * 1.0001f + 0.5f;
}

__attribute__((force_align_arg_pointer)) void _start(void)
{
    volatile float f = 1.0f;
    for (int r = 0; r < ROUNDS; r++) {
        /* gvec: vpaddd; helper: vaddps, vmulps */
        __asm__ volatile("vmovdqa %[i], %%ymm0\n\t"
                         "vpaddd %[s], %%ymm0, %%ymm0\n\t"
                         "vmovdqa %%ymm0, %[i]\n\t"
                         "vmovaps %[f], %%ymm1\n\t"
                         "vaddps %[c], %%ymm1, %%ymm1\n\t"
                         "vmulps %[c], %%ymm1, %%ymm2\n\t"
                         "vsubps %%ymm2, %%ymm1, %%ymm1\n\t"
                         "vmovaps %%ymm1, %[f]\n\t"
                         : [i] "+m"(ints), [f] "+m"(floats)
                         : [s] "m"(steps), [c] "m"(scales)
                         : "xmm0", "xmm1", "xmm2", "memory");
        f = step(f);
    }
    __asm__ volatile("vzeroupper" ::: "memory");

    int bad = 0;
    float lane[LANES] = {0};
    for (int r = 0; r < ROUNDS; r++) {
        for (int k = 0; k < LANES; k++) {
            volatile float a = lane[k] + scales[k];
            volatile float m = a * scales[k];
            lane[k] = a - m;
        }
    }
    for (int k = 0; k < LANES; k++) {
        bad |= ints[k] != steps[k] * ROUNDS;
        bad |= floats[k] != lane[k];
    }
    volatile float g = 1.0f;
    for (int r = 0; r < ROUNDS; r++) {
        g = step(g);
    }
    bad |= f != g;
    exit_with(bad);
}
