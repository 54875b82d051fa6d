/*
 * x86_64 guest program for bench/percall: times one kind of call in a tight
 * loop and prints the median ns per call over several rounds.
 *
 *   percall add|nop|callback|hostcb|getpid|floor|inline|inline-mem|inline-regs ITERATIONS ROUNDS
 *
 * add/nop: trivial liblorelei-testlib calls (natively: the real library;
 * under qemu-lorelei: stub -> runtime -> plugin -> thunk). callback: a call
 * whose host side calls a guest function once. hostcb: a host thread calls a
 * guest function (service-thread path). getpid: a raw emulated syscall.
 * floor: the syscall the bare floor plugin answers at once. inline: a marker
 * instruction inline_plugin.c answers from an instruction callback, through
 * a frame in memory (its pointer read from rdi); inline-mem: the same, the
 * frame's address taken from a store's memory callback (what the product
 * does); inline-regs: arguments and result in registers (two reads, a
 * write).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "testlib.h"

#define FLOOR_NR 0x4c53 /* bench/percall/floor_plugin.c */

static long raw_syscall0(long nr)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    return ret;
}

static int add_cb(int a, int b, void *user)
{
    (void)user;
    return a + b;
}

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static volatile long sink;

static double round_ns(const char *what, long n)
{
    double start = now_ns();
    if (strcmp(what, "add") == 0) {
        for (long i = 0; i < n; i++) {
            sink += tl_add((int)i, 1);
        }
    } else if (strcmp(what, "nop") == 0) {
        for (long i = 0; i < n; i++) {
            tl_nop();
        }
    } else if (strcmp(what, "callback") == 0) {
        for (long i = 0; i < n; i++) {
            sink += tl_apply(add_cb, (int)i, 1, NULL);
        }
    } else if (strcmp(what, "hostcb") == 0) {
        sink += tl_run_in_threads(add_cb, 1, (int)n, NULL);
    } else if (strcmp(what, "getpid") == 0) {
        for (long i = 0; i < n; i++) {
            sink += raw_syscall0(SYS_getpid);
        }
    } else if (strcmp(what, "inline") == 0) {
        /* bench/percall/inline_plugin.c answers the marker without a CPU-loop exit */
        uint64_t frame[2];
        for (long i = 0; i < n; i++) {
            frame[0] = (uint64_t)i;
            __asm__ volatile(".byte 0x66,0x0f,0x1f,0x84,0x00,0x52,0x4c,0x00,0x00"
                             :
                             : "D"(frame)
                             : "memory");
            sink += (long)frame[1];
        }
        if (n > 0 && frame[1] != (uint64_t)n) {
            fprintf(stderr, "inline: the marker was not answered (frame[1] = %llu)\n",
                    (unsigned long long)frame[1]);
            exit(1);
        }
    } else if (strcmp(what, "inline-mem") == 0) {
        /* the same, but the frame comes from a store's memory callback */
        uint64_t frame[2];
        for (long i = 0; i < n; i++) {
            frame[0] = (uint64_t)i;
            __asm__ volatile("movq $0, 8(%0)\n\t"
                             ".byte 0x66,0x0f,0x1f,0x84,0x00,0x54,0x4c,0x00,0x00"
                             :
                             : "D"(frame)
                             : "memory");
            sink += (long)frame[1];
        }
        if (n > 0 && frame[1] != (uint64_t)n) {
            fprintf(stderr, "inline-mem: the marker was not answered (frame[1] = %llu)\n",
                    (unsigned long long)frame[1]);
            exit(1);
        }
    } else if (strcmp(what, "inline-regs") == 0) {
        /* the same, but arguments and result in registers: rax = rdi + rsi */
        long result = 0;
        for (long i = 0; i < n; i++) {
            __asm__ volatile(".byte 0x66,0x0f,0x1f,0x84,0x00,0x53,0x4c,0x00,0x00"
                             : "=a"(result)
                             : "D"(i), "S"(1L), "0"(0L)
                             : "memory");
            sink += result;
        }
        if (n > 0 && result != n) {
            fprintf(stderr, "inline-regs: the marker was not answered (rax = %ld)\n", result);
            exit(1);
        }
    } else if (strcmp(what, "floor") == 0) {
        for (long i = 0; i < n; i++) {
            sink += raw_syscall0(FLOOR_NR);
        }
    } else {
        fprintf(stderr, "unknown measurement %s\n", what);
        exit(2);
    }
    return (now_ns() - start) / n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr,
                "usage: percall add|nop|callback|hostcb|getpid|floor|inline|inline-mem|inline-regs "
                "ITERATIONS ROUNDS\n");
        return 2;
    }
    long n = atol(argv[2]);
    int rounds = atoi(argv[3]);
    double r[64];
    if (rounds < 1 || rounds > 64) {
        return 2;
    }
    round_ns(argv[1], n / 10 + 1); /* warm up: translation, first-call setup */
    for (int i = 0; i < rounds; i++) {
        r[i] = round_ns(argv[1], n);
    }
    qsort(r, rounds, sizeof(r[0]), cmp);
    printf("%s %.1f %.1f %.1f\n", argv[1], r[rounds / 2], r[0], r[rounds - 1]);
    return 0;
}
