/*
 * The profile test's guest program: spins 4 * N rounds in a library and N
 * rounds in itself, then makes CALLS forwarded calls, so liblorelei-profile's
 * report has known proportions to check.
 *
 * usage: profile_prog N CALLS
 */
#include <stdio.h>
#include <stdlib.h>

#include "spin.h"
#include "testlib.h"

__attribute__((noinline)) static uint64_t spin_in_program(long n)
{
    SPIN_BODY(n);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: profile_prog N CALLS\n");
        return 2;
    }
    long n = atol(argv[1]), calls = atol(argv[2]);
    uint64_t x = spin_in_library(4 * n) + spin_in_program(n);
    int sum = 0;
    for (long i = 0; i < calls; i++) {
        sum = tl_add(sum, 1);
    }
    printf("%llu %d\n", (unsigned long long)x, sum);
    return sum == calls ? 0 : 1;
}
