/*
 * x86_64 guest program for the inline transport's tests (run_transport.py).
 * Linked against liblorelei-testlib like testlib_prog.
 *
 *   transport_prog blocking-fork      a thread waits in a blocking call, another forks
 *   transport_prog blocking-tbflush   a thread waits, another floods the translation cache
 *   transport_prog signal             a signal arrives during a long (non-blocking) call
 *   transport_prog deep-stack N       N guest threads run host code 1.5 MiB deep
 *   transport_prog planted            hand-made markers: wild ids, frames, shapes
 *   transport_prog count N            N calls of tl_add and of tl_nop
 *   transport_prog host-fork          a host function that forks, twice
 *
 * The first two are meant to hang when a blocking call is served inline
 * (the plugin's test_inline_blocking=on): the waiting thread's vCPU counts
 * as running, so the fork() or the cache flush waits for it, and the flag
 * it waits for is set only afterwards. The waits time out after 20 s, so a
 * hung run ends by itself too.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lorelei/abi.h"
#include "testlib.h"

enum { WAIT_MS = 20000 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *waiter(void *arg)
{
    (void)arg;
    double start = now_s();
    int seen = tl_wait_flag(WAIT_MS);
    printf("waiter: flag=%d after %.1f s\n", seen, now_s() - start);
    return NULL;
}

/* Starts the waiter and gives it time to enter its host call. */
static pthread_t start_waiter(void)
{
    tl_set_flag(0);
    pthread_t t;
    pthread_create(&t, NULL, waiter, NULL);
    usleep(300000);
    return t;
}

static int blocking_fork(void)
{
    pthread_t t = start_waiter();
    printf("forking\n");
    pid_t pid = fork();
    if (pid == 0) {
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("forked\n");
    tl_set_flag(1);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}

/* Executes many distinct blocks of fresh code, so that QEMU's translation
 * cache (run with a small -tb-size) fills up and is flushed. */
static long flood_translation_cache(int functions)
{
    size_t size = (size_t)functions * 16;
    uint8_t *code =
        mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    for (int i = 0; i < functions; i++) {
        uint8_t *f = code + (size_t)i * 16;
        f[0] = 0xb8; /* mov $i, %eax; ret */
        memcpy(f + 1, &i, 4);
        f[5] = 0xc3;
    }
    long sum = 0;
    for (int i = 0; i < functions; i++) {
        sum += ((int (*)(void))(code + (size_t)i * 16))();
    }
    munmap(code, size);
    return sum;
}

static int blocking_tbflush(void)
{
    pthread_t t = start_waiter();
    printf("flooding\n");
    long sum = flood_translation_cache(200000);
    printf("flooded sum=%ld\n", sum);
    tl_set_flag(1);
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}

/* ---- a signal during a long call ------------------------------------------------- */

static atomic_int handled;
static atomic_int handled_while_in_call;
static volatile int in_call;

static void on_usr1(int sig)
{
    (void)sig;
    atomic_fetch_add(&handled, 1);
    atomic_store(&handled_while_in_call, in_call);
}

struct spin_job {
    pid_t tid;
    int handled_right_after;
    double seconds;
};

static void *spinner(void *arg)
{
    struct spin_job *j = arg;
    j->tid = (pid_t)syscall(SYS_gettid);
    usleep(100000);
    double start = now_s();
    in_call = 1;
    tl_spin_us(400000);
    int after = atomic_load(&handled); /* the first thing after the call */
    in_call = 0;
    j->seconds = now_s() - start;
    j->handled_right_after = after;
    return NULL;
}

static int signal_during_call(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    struct spin_job j = {0};
    pthread_t t;
    pthread_create(&t, NULL, spinner, &j);
    usleep(250000); /* the spinner is 150 ms into its 400 ms call */
    syscall(SYS_tgkill, getpid(), j.tid, SIGUSR1);
    pthread_join(t, NULL);
    /* The handler ran once the call returned, before the caller's next
     * statement; the call itself ran to its end. */
    printf("handled=%d right_after_call=%d call_ran_whole=%d\n", atomic_load(&handled),
           j.handled_right_after, j.seconds >= 0.39);
    printf("in_call_flag_seen_by_handler=%d\n", atomic_load(&handled_while_in_call));
    return 0;
}

/* ---- deep host stacks on guest threads ------------------------------------------ */

static void *deep_worker(void *arg)
{
    int *result = arg;
    for (int i = 0; i < 20; i++) {
        *result = tl_deep_stack(1536); /* 1.5 MiB of host stack */
    }
    return NULL;
}

static int deep_stack(int n)
{
    pthread_t t[16];
    int results[16];
    n = n > 16 ? 16 : n;
    for (int i = 0; i < n; i++) {
        pthread_create(&t[i], NULL, deep_worker, &results[i]);
    }
    int same = 1;
    for (int i = 0; i < n; i++) {
        pthread_join(t[i], NULL);
        same &= results[i] == tl_deep_stack(1536);
    }
    printf("deep_stack_threads=%d same_results=%d\n", n, same);
    return 0;
}

/* ---- hand-made markers ---------------------------------------------------------- */

static sigjmp_buf fault_jump;
static void on_segv(int sig)
{
    siglongjmp(fault_jump, sig);
}

enum shape { STORES_AND_MARKER, MARKER_ONLY, STORES_SWAPPED };

/* Code taking a frame in rdi: mov %rdi, %rdx, then the shape asked for. */
static void (*make_code(enum shape shape, int32_t id, int32_t top))(uint64_t *)
{
    static uint8_t *page;
    if (!page) {
        page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                    0);
    }
    static const uint8_t marker[] = {LORELEI_INLINE_MARKER_BYTES};
    uint8_t id_store[8] = {0x48, 0xc7, 0x42, 0xf8};
    memcpy(id_store + 4, &id, 4);
    uint8_t top_store[11] = {0x48, 0xc7, 0x82};
    memcpy(top_store + 3, &top, 4);
    memset(top_store + 7, 0, 4);
    uint8_t *p = page;
    *p++ = 0x48, *p++ = 0x89, *p++ = 0xfa; /* mov %rdi, %rdx */
    if (shape == STORES_AND_MARKER) {
        memcpy(p, id_store, 8), p += 8;
        memcpy(p, top_store, 11), p += 11;
    } else if (shape == STORES_SWAPPED) {
        memcpy(p, top_store, 11), p += 11;
        memcpy(p, id_store, 8), p += 8;
    }
    memcpy(p, marker, sizeof(marker)), p += sizeof(marker);
    *p++ = 0xc3;
    /* Fresh code each time: QEMU notices the write and translates it anew. */
    return (void (*)(uint64_t *))page;
}

/* The id and frame size of tl_add, read from its stub's own first store:
 * the format is the ABI (include/lorelei/abi.h). */
static int find_tl_add(int32_t *id, int32_t *top)
{
    const uint8_t *code = (const uint8_t *)dlsym(RTLD_DEFAULT, "tl_add");
    for (int i = 0; code && i < 128; i++) {
        if (code[i] == 0x48 && code[i + 1] == 0xc7 && code[i + 2] == 0x42 && code[i + 3] == 0xf8) {
            memcpy(id, code + i + 4, 4);
            const uint8_t *next = code + i + 8; /* movq $0, disp8(%rdx) */
            if (next[0] != 0x48 || next[1] != 0xc7 || next[2] != 0x42) {
                return 0;
            }
            *top = (int8_t)next[3];
            return 1;
        }
    }
    return 0;
}

static const char *run_planted(enum shape shape, int32_t id, int32_t top, uint64_t *frame)
{
    static char out[64];
    void (*code)(uint64_t *) = make_code(shape, id, top);
    struct sigaction sa = {.sa_handler = on_segv}, old_segv, old_bus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old_segv);
    sigaction(SIGBUS, &sa, &old_bus);
    int sig = sigsetjmp(fault_jump, 1);
    if (sig == 0) {
        code(frame);
        if (shape == MARKER_ONLY) {
            snprintf(out, sizeof(out), "nothing_happened");
        } else {
            snprintf(out, sizeof(out), "status=%lld", (long long)(int64_t)frame[-1]);
        }
    } else {
        snprintf(out, sizeof(out), "guest_signal=%d", sig);
    }
    sigaction(SIGSEGV, &old_segv, NULL);
    sigaction(SIGBUS, &old_bus, NULL);
    return out;
}

static int planted(void)
{
    int32_t add_id, add_top;
    if (!find_tl_add(&add_id, &add_top)) {
        printf("no inline stub for tl_add\n");
        return 1;
    }
    /* Big enough for the wrong frame size below to stay inside. */
    static uint64_t buf[520];
    uint64_t *frame = buf + 1;
    /* A correct request from hand-made code is served like the stub's. */
    memset(buf, 0, sizeof(buf));
    frame[0] = 40, frame[1] = 2;
    const char *valid = run_planted(STORES_AND_MARKER, add_id, add_top, frame);
    printf("valid: %s result=%lld\n", valid, (long long)frame[2]);
    memset(buf, 0, sizeof(buf));
    printf("wild_index: %s\n",
           run_planted(STORES_AND_MARKER, (int32_t)LORELEI_FN_ID(1, 99999), 16, frame));
    printf("wild_library: %s\n",
           run_planted(STORES_AND_MARKER, (int32_t)LORELEI_FN_ID(29, 0), 16, frame));
    printf("negative_id: %s\n", run_planted(STORES_AND_MARKER, -5, 16, frame));
    printf("wrong_frame_size: %s\n", run_planted(STORES_AND_MARKER, add_id, 4000, frame));
    /* Not the stub's shape: the marker is a plain no-op, and the status slot
     * holds the id the guest's own store put there (left for CALL). */
    const char *swapped = run_planted(STORES_SWAPPED, add_id, add_top, frame);
    printf("stores_swapped: %s\n", (int64_t)frame[-1] == add_id ? "left_for_call" : swapped);
    printf("marker_only_wild_rdx: %s\n", run_planted(MARKER_ONLY, 0, 0, (uint64_t *)0x18));
    /* Wild frames fault in the guest's own stores, before the plugin looks. */
    const char *left = run_planted(STORES_AND_MARKER, add_id, add_top, frame);
    printf("correct_request: %s\n", (int64_t)frame[-1] == add_id ? "left_for_call" : left);
    printf("wild_frame: %s\n", run_planted(STORES_AND_MARKER, add_id, add_top, (uint64_t *)0x18));
    uint8_t *ro = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("read_only_frame: %s\n",
           run_planted(STORES_AND_MARKER, add_id, add_top, (uint64_t *)(ro + 64)));
    uint8_t *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    printf("frame_end_unmapped: %s\n",
           run_planted(STORES_AND_MARKER, add_id, add_top, (uint64_t *)(two + 4096 - 8)));
    printf("still_works=%d\n", tl_add(1, 2));
    return 0;
}

/* A host function that forks, served inline: refused once, then on the
 * syscall path (plugin/preload.c). */
static int host_fork(void)
{
    int first = tl_fork_and_wait();
    int second = tl_fork_and_wait();
    printf("first=%d second=%d\n", first, second);
    return 0;
}

/* Many trivial calls: how many reach the plugin as syscalls tells the
 * transport apart (run_transport.py counts them with QEMU's -strace). */
static int count(int n)
{
    long sum = 0;
    for (int i = 0; i < n; i++) {
        sum += tl_add(i, 1);
        tl_nop();
    }
    printf("sum=%ld\n", sum);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "blocking-fork") == 0) {
        return blocking_fork();
    }
    if (strcmp(mode, "blocking-tbflush") == 0) {
        return blocking_tbflush();
    }
    if (strcmp(mode, "signal") == 0) {
        return signal_during_call();
    }
    if (strcmp(mode, "deep-stack") == 0 && argc == 3) {
        return deep_stack(atoi(argv[2]));
    }
    if (strcmp(mode, "host-fork") == 0) {
        return host_fork();
    }
    if (strcmp(mode, "count") == 0 && argc == 3) {
        return count(atoi(argv[2]));
    }
    if (strcmp(mode, "planted") == 0) {
        return planted();
    }
    fprintf(stderr, "usage: see the comment at the top of transport_prog.c\n");
    return 2;
}
