/*
 * x86_64 guest for the mem-value tests, without libc (so every run
 * translates exactly the same code): stores MAGIC | i into a buffer for i =
 * 0..COUNT-1, loads the values back in the same order and exits 0 when their
 * sum is right (1 otherwise).
 */
#include <stdint.h>

enum { COUNT = 1000 };
#define MAGIC 0x10ae1e1000000000ull

static volatile uint64_t buffer[COUNT];

static void exit_with(long status)
{
    __asm__ volatile("syscall" : : "a"(60L), "D"(status) : "rcx", "r11", "memory");
    __builtin_unreachable();
}

void _start(void)
{
    for (uint64_t i = 0; i < COUNT; i++) {
        buffer[i] = MAGIC | i;
    }
    uint64_t sum = 0;
    for (uint64_t i = 0; i < COUNT; i++) {
        sum += buffer[i] & 0xffffffffu;
    }
    exit_with(sum == (uint64_t)COUNT * (COUNT - 1) / 2 ? 0 : 1);
}
