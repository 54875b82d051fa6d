/*
 * bench/ymm's workloads, an x86_64 guest program: scalar float arithmetic
 * (each guest mulss and addss a softfloat helper call under QEMU) right
 * after one vector operation, 256-bit (as glibc's AVX2 memcpy and strlen
 * leave behind) or 128-bit. Timed inside the program. Prints one line
 * "WORKLOAD units=N seconds=S error=0x0 check=C".
 *
 *   ymm_bench after-ymm KITER   KITER thousand iterations of one 256-bit
 *                               add and 50 multiply-adds
 *   ymm_bench after-xmm KITER   the same with a 128-bit add
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static unsigned char block[32] __attribute__((aligned(32)));

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "after-ymm") != 0 && strcmp(argv[1], "after-xmm") != 0) ||
        atol(argv[2]) <= 0) {
        fprintf(stderr, "usage: ymm_bench after-ymm|after-xmm KITER\n");
        return 2;
    }
    int wide = strcmp(argv[1], "after-ymm") == 0;
    long iterations = atol(argv[2]) * 1000;
    volatile float acc = 0.0f;
    const float scale = 1.0001f;
    double start = now();
    for (long i = 0; i < iterations; i++) {
        if (wide) {
            __asm__ volatile("vmovdqa %0, %%ymm0\n\tvpaddb %%ymm0, %%ymm0, %%ymm0\n\t"
                             "vmovdqa %%ymm0, %0\n\tvzeroupper"
                             : "+m"(block)::"xmm0");
        } else {
            __asm__ volatile("movdqa %0, %%xmm0\n\tpaddb %%xmm0, %%xmm0\n\tmovdqa %%xmm0, %0"
                             : "+m"(block)::"xmm0");
        }
        float a = acc;
        for (int k = 0; k < 50; k++) {
            a = a * scale + 0.5f;
        }
        acc = a;
    }
    double seconds = now() - start;
    printf("%s units=%ld seconds=%.6f error=0x0 check=%g\n", argv[1], iterations / 1000, seconds,
           (double)acc);
    return 0;
}
