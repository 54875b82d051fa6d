/*
 * The profile test's guest program: spins 4 * N rounds in a library and N
 * rounds in itself, then makes CALLS forwarded calls, so liblorelei-profile's
 * report has known proportions to check. With JIT, it then writes JIT tiny
 * functions into one anonymous executable mapping and calls each, as a JIT
 * compiler's traces (LuaJIT): code in no file. Then it makes SPIN
 * forwarded calls that keep the CPU busy for 2 ms each (tl_spin_us) and WAIT
 * that wait 2 ms (tl_wait_flag, for a flag nobody sets): the report's share
 * of time running must tell them apart.
 *
 * usage: profile_prog N CALLS [JIT [SPIN WAIT]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "spin.h"
#include "testlib.h"

__attribute__((noinline)) static uint64_t spin_in_program(long n)
{
    SPIN_BODY(n);
}

/* n functions "mov eax, i; ret", 16 bytes apart, each called once: n
 * translated blocks in one anonymous mapping. Returns their sum. */
static long run_jit(long n)
{
    if (n == 0) {
        return 0;
    }
    size_t size = (size_t)n * 16;
    unsigned char *code =
        mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    for (long i = 0; i < n; i++) {
        unsigned char *f = code + i * 16;
        int value = (int)i;
        f[0] = 0xb8; /* mov eax, imm32 */
        memcpy(f + 1, &value, sizeof(value));
        f[5] = 0xc3; /* ret */
    }
    long sum = 0;
    for (long i = 0; i < n; i++) {
        int (*fn)(void) = (int (*)(void))(void *)(code + i * 16);
        sum += fn();
    }
    munmap(code, size);
    return sum;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4 && argc != 6) {
        fprintf(stderr, "usage: profile_prog N CALLS [JIT [SPIN WAIT]]\n");
        return 2;
    }
    long n = atol(argv[1]), calls = atol(argv[2]);
    uint64_t x = spin_in_library(4 * n) + spin_in_program(n);
    int sum = 0;
    for (long i = 0; i < calls; i++) {
        sum = tl_add(sum, 1);
    }
    long jit = argc >= 4 ? atol(argv[3]) : 0;
    long jit_sum = run_jit(jit);
    long spin = argc == 6 ? atol(argv[4]) : 0, wait = argc == 6 ? atol(argv[5]) : 0;
    for (long i = 0; i < spin; i++) {
        tl_spin_us(2000);
    }
    for (long i = 0; i < wait; i++) {
        if (tl_wait_flag(2) != 0) {
            fprintf(stderr, "tl_wait_flag: the flag was set\n");
            return 1;
        }
    }
    printf("%llu %d %ld\n", (unsigned long long)x, sum, jit_sum);
    return sum == calls && jit_sum == jit * (jit - 1) / 2 ? 0 : 1;
}
