/*
 * x86_64 guest program for the syscall-filter API tests. It makes the
 * syscalls the test plugins filter and prints what it got back, one
 * "key value" line each; run_filter_test.py checks the lines.
 *
 *   filter_guest basic            marked write, plain write, getpid, custom NRs
 *   filter_guest threads N ITERS  N threads, each ITERS echo syscalls
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { NR_ANSWERED = 0x5000, NR_DECLINED_FIRST = 0x5001, NR_UNHANDLED = 0x5002, NR_ECHO = 0x5003 };

static long raw_syscall3(long nr, long a1, long a2, long a3)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return ret;
}

static int basic(void)
{
    static const char hidden[] = "LORELEI-FILTERED: this line must not appear\n";
    static const char shown[] = "visible line\n";
    printf("marked_write %ld\n", raw_syscall3(SYS_write, 1, (long)hidden, sizeof(hidden) - 1));
    fflush(stdout);
    printf("plain_write %ld\n", raw_syscall3(SYS_write, 1, (long)shown, sizeof(shown) - 1));
    printf("getpid_matches %d\n", raw_syscall3(SYS_getpid, 0, 0, 0) == getpid());
    printf("answered %ld\n", raw_syscall3(NR_ANSWERED, 0, 0, 0));
    printf("declined_first %ld\n", raw_syscall3(NR_DECLINED_FIRST, 0, 0, 0));
    printf("unhandled %ld\n", raw_syscall3(NR_UNHANDLED, 0, 0, 0));
    return 0;
}

struct worker {
    pthread_t thread;
    long index, iterations, mismatches;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (long i = 0; i < w->iterations; i++) {
        long a1 = w->index * 1000003 + i, a2 = w->index;
        if (raw_syscall3(NR_ECHO, a1, a2, 0) != a1 * 3 + a2) {
            w->mismatches++;
        }
        if (i % 64 == 0) {
            sched_yield(); /* interleave threads inside and outside the filter */
        }
    }
    return NULL;
}

static int threads(long n, long iterations)
{
    struct worker *w = calloc(n, sizeof(*w));
    for (long i = 0; i < n; i++) {
        w[i] = (struct worker){.index = i + 1, .iterations = iterations};
        if (pthread_create(&w[i].thread, NULL, work, &w[i]) != 0) {
            perror("pthread_create");
            return 1;
        }
    }
    long mismatches = 0;
    for (long i = 0; i < n; i++) {
        pthread_join(w[i].thread, NULL);
        mismatches += w[i].mismatches;
    }
    printf("threads %ld calls %ld mismatches %ld\n", n, n * iterations, mismatches);
    free(w);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "basic") == 0) {
        return basic();
    }
    if (argc == 4 && strcmp(argv[1], "threads") == 0) {
        return threads(atol(argv[2]), atol(argv[3]));
    }
    fprintf(stderr, "usage: %s basic | threads N ITERATIONS\n", argv[0]);
    return 2;
}
