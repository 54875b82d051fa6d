/* The same loop in two places, so their instruction counts compare. */
#ifndef PROFILE_SPIN_H
#define PROFILE_SPIN_H
#include <stdint.h>

#define SPIN_BODY(n)                                                                               \
    uint64_t x = 1;                                                                                \
    for (long i = 0; i < (n); i++) {                                                               \
        x = x * 6364136223846793005ull + 1442695040888963407ull;                                   \
        __asm__ volatile("" : "+r"(x));                                                            \
    }                                                                                              \
    return x

uint64_t spin_in_library(long n);
#endif
