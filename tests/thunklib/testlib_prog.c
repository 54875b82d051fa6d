/*
 * x86_64 guest program for liblorelei-testlib. Linked against the real
 * library it runs natively; under qemu-lorelei the stub takes its place.
 * run_testlib.py compares the two runs' output line for line.
 *
 *   testlib_prog all                 every API shape, "key=value" lines
 *   testlib_prog threads N ITERS     N guest threads calling at once
 *   testlib_prog badcalls            raw malformed requests (Lorelei only)
 *   testlib_prog signal-wait         a guest handler runs on a waiting service thread
 *   testlib_prog block               block in a host call forever (for SIGINT/SIGTERM)
 *   testlib_prog busy-signals        signals while host-library threads exist
 *   testlib_prog exit-while-waiting  exit() while a host thread waits for a callback
 *   testlib_prog fork                host-thread callbacks before and after fork()
 *   testlib_prog unwind              longjmp out of a nested callback (Lorelei only)
 *   testlib_prog spawn-fail          host-thread callbacks while the guest cannot start
 *                                    service threads (with service_spy.so preloaded)
 *   testlib_prog host-threads N      N host threads in turn, each calls back once and exits
 *   testlib_prog stale-channel       a service thread's old channel id, once its slot is
 *                                    reused, reaches nothing (with service_spy.so)
 *   testlib_prog fork-in-calls       fork() while 64 threads are inside host calls with
 *                                    callback objects; the child makes such a call
 *   testlib_prog exit-in-callback    guest threads that pthread_exit inside callbacks, on
 *                                    their own thread and on a host thread's behalf
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lorelei-guest.h" /* only its inline syscall: not linked with the runtime */
#include "testlib.h"

static long raw_lorelei(long op, long a2, long a3)
{
    return (long)lorelei_syscall3((uint64_t)op, (uint64_t)a2, (uint64_t)a3);
}

/* Under qemu-lorelei the NOP operation answers 0; the real kernel says ENOSYS. */
static int under_lorelei(void)
{
    return raw_lorelei(LORELEI_OP_NOP, 0, 0) == 0;
}

static int main_under_lorelei;
static atomic_int callbacks_in_wrong_context;

/* A callback must run as guest code: under QEMU when the program is. If the
 * host ran guest code natively (possible by accident on an x86_64 host),
 * this catches it. */
static void check_context(void)
{
    if (under_lorelei() != main_under_lorelei) {
        atomic_fetch_add(&callbacks_in_wrong_context, 1);
    }
}

static int add_cb(int a, int b, void *user)
{
    check_context();
    if (user) {
        atomic_fetch_add((atomic_int *)user, 1);
    }
    return a * 10 + b;
}

static double dfn_cb(double x, float y, int64_t z)
{
    check_context();
    return x + y * 2 + (double)z * 3;
}

static int nest_cb(int depth, void *user)
{
    check_context();
    atomic_fetch_add((atomic_int *)user, 1);
    return depth == 0 ? 1 : tl_nest(nest_cb, depth - 1, user) * 2 + depth;
}

static char logged[128];
static void log_cb(const char *message, void *user)
{
    check_context();
    snprintf(logged, sizeof(logged), "%s/%s", message, (const char *)user);
}

static int ops_get(void *ctx)
{
    check_context();
    return *(int *)ctx;
}

static void ops_put(void *ctx, int value)
{
    check_context();
    *(int *)ctx = value;
}

struct my_stream {
    tl_stream base; /* first: the library sees a tl_stream */
    const char *data;
    int *closed;
};

static int stream_read(tl_stream *self, char *buf, int n)
{
    check_context();
    struct my_stream *s = (struct my_stream *)self; /* must be the object we made */
    int left = (int)strlen(s->data) - self->position;
    n = n < left ? n : left;
    memcpy(buf, s->data + self->position, (size_t)n);
    self->position += n;
    return n;
}

static void stream_close(tl_stream *self)
{
    check_context();
    struct my_stream *s = (struct my_stream *)self;
    (*s->closed)++;
    free(s);
}

static int ops_twice(int x, void *user)
{
    (void)user;
    check_context();
    return 2 * x;
}

static void ops_note(const char *what, void *user)
{
    check_context();
    *(int *)user += strcmp(what, "run") == 0;
}

static int all(void)
{
    printf("i8=%d u8=%u i16=%d u16=%u\n", tl_i8(-41), tl_u8(200), tl_i16(-12345), tl_u16(60000));
    printf("i32=%d u32=%u\n", tl_i32(-1000000007), tl_u32(4000000000u));
    printf("i64=%lld u64=%llu\n", (long long)tl_i64(-3000000000000000007LL),
           (unsigned long long)tl_u64(18000000000000000000ull));
    printf("f32=%.6f f64=%.9f\n", tl_f32(1.25f, -3.5f), tl_f64(2.5, 0.75f, -9, 1e-3));
    printf("many=%.6f\n",
           tl_many(1, 2, 3, 4, 5, 6, 7, 8, 1.5, 2.5f, 3.5, 4.5f, 5.5, 6.5f, 7.5, 8.5f, 9.5, 10.5f));
    printf("add=%d\n", tl_add(40, 2));
    tl_nop();

    tl_point p = tl_point_add((tl_point){1, -2}, (tl_point){30, 40});
    tl_vec2 v = tl_vec2_scale((tl_vec2){1.5f, -2.25f}, 4.0f);
    tl_mixed m = tl_mixed_make(0.5f, -1e10, -7);
    tl_big big = tl_big_make(12, "a big struct by value");
    printf("point=%d,%d vec2=%.3f,%.3f mixed=%.2f,%.1f,%d\n", p.x, p.y, v.x, v.y, m.f, m.d, m.c);
    printf("big=%.2f,%.2f,%lld,%s sum=%.3f\n", big.d[0], big.d[3], (long long)big.n, big.name,
           tl_big_sum(big));
    tl_point q = {5, 9};
    tl_point_swap(&q);
    printf("swap=%d,%d\n", q.x, q.y);

    int quot = 0, rem = 0;
    int st = tl_divmod(47, 5, &quot, &rem);
    printf("divmod=%d %d %d zero=%d\n", st, quot, rem, tl_divmod(1, 0, &quot, &rem));
    printf("strlen=%zu greeting=%s\n", tl_strlen("twelve chars"), tl_greeting());
    char *upper = tl_strdup_upper("shout it");
    /* Handed straight to a syscall: host memory would fail with EFAULT. */
    long written = write(STDOUT_FILENO, upper, strlen(upper));
    printf("\nupper_written=%ld\n", written);
    tl_free(upper);
    void *dup = (void *)0x1; /* stays as it is when the call fails */
    size_t dup_len = 0;
    int dup_none = tl_dup_bytes(NULL, 0, &dup, &dup_len);
    printf("dup_none=%d untouched=%d\n", dup_none, dup == (void *)0x1);
    tl_dup_bytes("copied across\n", 14, &dup, &dup_len);
    written = write(STDOUT_FILENO, dup, dup_len);
    printf("dup_written=%ld\n", written);
    tl_free(dup);
    /* The whole list is guest memory (a syscall reads all of it) and intact. */
    const char *names = tl_names(1);
    size_t names_len = 0;
    while (names[names_len]) {
        names_len += strlen(names + names_len) + 1;
    }
    names_len++;
    static const char expect_names[] = "alpha\0beta\0gamma\0";
    FILE *devnull = fopen("/dev/null", "w");
    written = devnull ? write(fileno(devnull), names, names_len) : -1;
    if (devnull) {
        fclose(devnull);
    }
    printf("names_written=%ld names_intact=%d solo=%s\n", written,
           names_len == sizeof(expect_names) && memcmp(names, expect_names, names_len) == 0,
           tl_names(0));
    /* A struct of callbacks by value: the host calls the members back. */
    int notes = 0;
    tl_value_ops value_ops = {ops_twice, ops_note};
    int value_result = tl_run_ops(value_ops, 20, &notes);
    tl_value_ops only_twice = {ops_twice, NULL};
    printf("ops_result=%d ops_notes=%d only_twice=%d none=%d\n", value_result, notes,
           tl_run_ops(only_twice, 5, &notes), tl_run_ops((tl_value_ops){NULL, NULL}, 1, NULL));
    int32_t arr[5] = {3, 1, 4, 1, 5}, filled[6];
    tl_fill_array(filled, 6, 100);
    printf("sum_array=%lld fill=%d,%d,%d\n", (long long)tl_sum_array(arr, 5), filled[0], filled[3],
           filled[5]);

    atomic_int count = 0;
    printf("apply=%d\n", tl_apply(add_cb, 4, 2, &count));
    int values[] = {1, 2, 3, 4, 5, 6, 7};
    printf("fold=%d\n", tl_fold(values, 7, add_cb, &count));
    printf("apply_d=%.4f\n", tl_apply_d(dfn_cb, 3.0));
    atomic_int nested = 0;
    int nest = tl_nest(nest_cb, 4, &nested);
    printf("nest=%d nested_calls=%d\n", nest, nested);

    static char tag[] = "tag";
    tl_set_logger(log_cb, tag);
    tl_log("same thread");
    printf("logged=%s\n", logged);
    tl_log_unannotated("unannotated");
    printf("logged=%s\n", logged);
    tl_log_fn got_fn = NULL;
    void *got_user = NULL;
    tl_get_logger(&got_fn, &got_user);
    printf("logger_roundtrip=%d user_roundtrip=%d\n", got_fn == log_cb, got_user == tag);

    int cell = 5;
    tl_ops ops = {ops_get, ops_put, &cell};
    int ops_result = tl_ops_roundtrip(&ops, 37);
    printf("ops=%d cell=%d ops_fns_kept=%d\n", ops_result, cell,
           ops.get == ops_get && ops.put == ops_put);

    struct my_stream *ms = malloc(sizeof(*ms));
    int closed = 0;
    *ms = (struct my_stream){{stream_read, stream_close, 0}, "eighteen bytes....", &closed};
    int drained = tl_stream_drain(&ms->base, 0);
    printf("stream=%d position=%d\n", drained, ms->base.position);
    ms->base.position = 2;
    int drained_closed = tl_stream_drain(&ms->base, 1); /* frees ms */
    printf("stream_closed=%d closed=%d\n", drained_closed, closed);

    printf("thread=%d\n", tl_run_in_thread(add_cb, 3, 4, &count));
    atomic_int thread_calls = 0;
    long long threads_sum = (long long)tl_run_in_threads(add_cb, 4, 50, &thread_calls);
    printf("threads=%lld thread_calls=%d\n", threads_sum, thread_calls);
    printf("callbacks=%d\n", count);

    tl_handle *h = tl_handle_new(77);
    printf("handle=%d\n", tl_handle_get(h));
    tl_handle_free(h);

    void *proc = tl_get_proc("tl_add");
    printf("proc_is_own=%d proc_call=%d proc_unknown=%d\n", proc == (void *)tl_add,
           proc ? ((int (*)(int, int))proc)(20, 22) : -1, tl_get_proc("no_such") == NULL);

    errno = 0;
    int failed = tl_fail_with_errno(EDOM);
    printf("errno_call=%d errno=%d\n", failed, errno);
    int logf_len = tl_logf("x=%d s=%s f=%.2f", 42, "str", 1.5);
    printf("logf=%d last=%s\n", logf_len, tl_last_message());

    printf("callbacks_in_wrong_context=%d\n", callbacks_in_wrong_context);
    return 0;
}

struct worker {
    pthread_t thread;
    int index, iterations;
    long long sum;
    atomic_int callbacks;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < w->iterations; i++) {
        w->sum += tl_add(w->index, i);
        if (i % 16 == 0) {
            w->sum += tl_apply(add_cb, w->index, i % 10, &w->callbacks);
        }
    }
    return NULL;
}

static int threads(int n, int iterations)
{
    struct worker w[64];
    if (n > 64) {
        n = 64;
    }
    for (int i = 0; i < n; i++) {
        w[i] = (struct worker){.index = i, .iterations = iterations};
        pthread_create(&w[i].thread, NULL, work, &w[i]);
    }
    long long sum = 0;
    int callbacks = 0;
    for (int i = 0; i < n; i++) {
        pthread_join(w[i].thread, NULL);
        sum += w[i].sum;
        callbacks += w[i].callbacks;
    }
    printf("threads=%d sum=%lld callbacks=%d wrong_context=%d\n", n, sum, callbacks,
           callbacks_in_wrong_context);
    return 0;
}

static int badcalls(void)
{
    uint64_t frame[4] = {0};
    printf("bad_index=%ld\n", raw_lorelei(LORELEI_OP_CALL, LORELEI_FN_ID(1, 99999), (long)frame));
    printf("bad_lib=%ld\n", raw_lorelei(LORELEI_OP_CALL, LORELEI_FN_ID(29, 0), (long)frame));
    printf("huge_id=%ld\n", raw_lorelei(LORELEI_OP_CALL, -1L, (long)frame));
    printf("bad_op=%ld\n", raw_lorelei(77, 0, 0));
    printf("stray_callback_return=%ld\n", raw_lorelei(LORELEI_OP_CALLBACK_RETURN, 0x1234, 0));
    printf("bad_channel=%ld\n", raw_lorelei(LORELEI_OP_WAIT_CALLBACK, 5000, 0));
    printf("still_works=%d\n", tl_add(1, 2));
    return 0;
}

static atomic_int handled_signals;
static atomic_int handler_tid;
static void on_usr1(int sig)
{
    (void)sig;
    atomic_store(&handler_tid, (int)gettid());
    atomic_fetch_add(&handled_signals, 1);
}

static void install_usr1(void)
{
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
}

static int wait_for(atomic_int *counter, int value, int timeout_ms)
{
    for (int i = 0; i < timeout_ms && atomic_load(counter) < value; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(counter) >= value;
}

static int signal_wait(void)
{
    int (*manager_tid)(void) = (int (*)(void))dlsym(RTLD_DEFAULT, "lorelei_manager_tid");
    int tid = 0;
    for (int i = 0; manager_tid && i < 5000 && !(tid = manager_tid()); i++) {
        usleep(1000);
    }
    if (!tid) {
        printf("no manager thread\n");
        return 1;
    }
    install_usr1();
    usleep(100000); /* let the manager settle into WAIT_CALLBACK */
    syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
    int ok = wait_for(&handled_signals, 1, 5000);
    printf("handler_ran=%d on_manager=%d\n", ok, atomic_load(&handler_tid) == tid);
    /* The manager must still serve: a host-thread callback needs it. */
    printf("thread_after=%d\n", tl_run_in_thread(add_cb, 1, 2, NULL));
    return 0;
}

/*
 * Run with SIGUSR1 blocked from the start (run_testlib.py does), so every
 * guest thread - the runtime's manager too - has it blocked. Only the host
 * library's threads are started with it open here: without the preload shim
 * the kernel delivers the process signal to one of them, and QEMU's handler,
 * finding no vCPU on that thread, crashes. With the shim they block it, and
 * the signal waits until this thread opens its mask for a moment.
 */
static int busy_signals(void)
{
    install_usr1();
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    tl_start_busy_threads(4);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    int sent = 0;
    for (; sent < 100; sent++) {
        kill(getpid(), SIGUSR1);
        usleep(1000); /* time for a host thread to take it, if it could */
        pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
        pthread_sigmask(SIG_BLOCK, &usr1, NULL);
        if (!wait_for(&handled_signals, sent + 1, 5000)) {
            break;
        }
    }
    tl_stop_busy_threads();
    printf("busy_signals=%d\n", atomic_load(&handled_signals));
    return 0;
}

static int slow_cb(int a, int b, void *user)
{
    (void)user;
    usleep(20000);
    return a + b;
}

static int exit_while_waiting(void)
{
    tl_start_callback_thread(slow_cb, NULL);
    usleep(50000);
    printf("exiting\n");
    fflush(stdout);
    exit(0);
}

static int fork_test(void)
{
    printf("parent_thread=%d\n", tl_run_in_thread(add_cb, 5, 6, NULL));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("child_thread=%d\n", tl_run_in_thread(add_cb, 7, 8, NULL));
        printf("child_add=%d\n", tl_add(2, 3));
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child_status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

static jmp_buf escape;
static int escaping_cb(int a, int b, void *user)
{
    (void)a, (void)b, (void)user;
    longjmp(escape, 1);
}

static int outer_cb(int a, int b, void *user)
{
    (void)user;
    if (setjmp(escape) == 0) {
        tl_apply(escaping_cb, a, b, NULL); /* never returns normally */
    }
    return a + b; /* returning now names the outer callback, not the innermost */
}

static int unwind(void)
{
    printf("unwind_result=%d\n", tl_apply(outer_cb, 1, 2, NULL));
    return 0;
}

/* Under service_spy.so refusing the first two service threads: one host
 * thread calls back five times (add_cb(i, 0) = 10 * i, i = 0..4); the two
 * calls whose service thread could not start are skipped (0), later ones
 * run. Natively every call runs. Then a new host thread calls back. */
static int spawn_fail(void)
{
    atomic_int ran = 0;
    long long sum = (long long)tl_run_in_threads(add_cb, 1, 5, &ran);
    printf("spawn_fail_sum=%lld ran=%d\n", sum, atomic_load(&ran));
    printf("thread_after=%d\n", tl_run_in_thread(add_cb, 1, 2, NULL));
    return 0;
}

/* Like a game that opens and closes its audio device for hours: every host
 * thread needs its own service thread, and there must be no ceiling. */
static int host_threads(int n)
{
    atomic_int ran = 0;
    int correct = 0;
    for (int i = 0; i < n; i++) {
        correct += tl_run_in_thread(add_cb, i % 100, 3, &ran) == (i % 100) * 10 + 3;
    }
    printf("host_threads=%d correct=%d ran=%d\n", n, correct, atomic_load(&ran));
    return 0;
}

static int count_cb(int a, int b, void *user)
{
    atomic_fetch_add((atomic_int *)user, 1);
    return a + b;
}

static int stale_channel(void)
{
    int (*seen)(uint64_t *, int) =
        (int (*)(uint64_t *, int))dlsym(RTLD_DEFAULT, "lorelei_test_service_ids");
    if (!seen) {
        printf("service_spy.so is not preloaded\n");
        return 1;
    }
    for (int i = 0; i < 3; i++) {
        tl_run_in_thread(add_cb, i, 1, NULL);
    }
    usleep(200000); /* the three service threads acknowledge their exit */
    uint64_t old[3];
    int n_old = seen(old, 3);
    /* Static: the host thread calls back every millisecond for good, also
     * while main returns and exit() runs; a counter on main's stack would
     * then be exit()'s frames (SIGSEGV in the aarch64 lane, where emulation
     * makes that window wide). */
    static atomic_int ticks;
    tl_start_callback_thread(count_cb, &ticks); /* a fourth host thread, for good */
    if (!wait_for(&ticks, 3, 5000)) {
        printf("the callback thread never called back\n");
        return 1;
    }
    uint64_t all[4];
    int n_all = seen(all, 4);
    uint64_t live = n_all == 4 ? all[3] : 0;
    /* Channel ids are generation << 32 | slot (plugin/service.c). */
    int reused = 0, reached = 0;
    for (int i = 0; i < n_old; i++) {
        if ((uint32_t)old[i] == (uint32_t)live) {
            reused++;
            reached += raw_lorelei(LORELEI_OP_WAIT_CALLBACK, (long)old[i], 0) != -LORELEI_ENOENT;
        }
    }
    int before = atomic_load(&ticks);
    int still_ticking = wait_for(&ticks, before + 3, 5000);
    printf("old_ids=%d slot_reused=%d stale_id_reached_a_channel=%d still_ticking=%d\n", n_old,
           reused > 0, reached, still_ticking);
    return 0;
}

/* A stream whose first read waits until released: its thread stays inside
 * the host call (tl_stream_drain), with its object shadowed on the host. */
enum { STUCK_THREADS = 64 };
static atomic_int stuck, release_stuck;

static int stuck_read(tl_stream *self, char *buf, int n)
{
    (void)self, (void)buf, (void)n;
    atomic_fetch_add(&stuck, 1);
    while (!atomic_load(&release_stuck)) {
        usleep(1000);
    }
    return 0;
}

static void *drain_stuck(void *arg)
{
    tl_stream_drain(arg, 0);
    return NULL;
}

static int fork_in_calls(void)
{
    static tl_stream streams[STUCK_THREADS];
    pthread_t threads[STUCK_THREADS];
    for (int i = 0; i < STUCK_THREADS; i++) {
        streams[i] = (tl_stream){stuck_read, NULL, 0};
        pthread_create(&threads[i], NULL, drain_stuck, &streams[i]);
    }
    wait_for(&stuck, STUCK_THREADS, 20000);
    printf("threads_in_calls=%d\n", atomic_load(&stuck));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* The threads whose calls made those shadows are not in the child. */
        struct my_stream *ms = malloc(sizeof(*ms));
        int closed = 0;
        *ms = (struct my_stream){{stream_read, stream_close, 0}, "eighteen bytes....", &closed};
        printf("child_stream=%d\n", tl_stream_drain(&ms->base, 1));
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child_status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    atomic_store(&release_stuck, 1);
    for (int i = 0; i < STUCK_THREADS; i++) {
        pthread_join(threads[i], NULL);
    }
    return 0;
}

static int exiting_cb(int a, int b, void *user)
{
    (void)a, (void)b, (void)user;
    pthread_exit(NULL);
}

static void *apply_exiting(void *arg)
{
    (void)arg;
    tl_apply(exiting_cb, 1, 2, NULL); /* the callback ends this thread */
    return (void *)1;
}

static int exit_in_callback(void)
{
    pthread_t t;
    void *ret = NULL;
    pthread_create(&t, NULL, apply_exiting, NULL);
    pthread_join(t, &ret);
    printf("same_thread_exited=%d\n", ret == PTHREAD_CANCELED || ret == NULL);
    /* Natively the host thread itself ends; under Lorelei the guest thread
     * running the callback for it does, and the host thread's wait ends. */
    printf("host_thread_result=%d\n", tl_run_in_thread(exiting_cb, 1, 2, NULL));
    printf("after=%d thread_after=%d\n", tl_add(1, 2), tl_run_in_thread(add_cb, 1, 2, NULL));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    main_under_lorelei = under_lorelei();
    fprintf(stderr, "testlib_prog: running %s\n",
            main_under_lorelei ? "under qemu-lorelei" : "natively");
    const char *mode = argc > 1 ? argv[1] : "all";
    if (strcmp(mode, "all") == 0) {
        return all();
    }
    if (strcmp(mode, "threads") == 0 && argc == 4) {
        return threads(atoi(argv[2]), atoi(argv[3]));
    }
    if (strcmp(mode, "badcalls") == 0) {
        return badcalls();
    }
    if (strcmp(mode, "signal-wait") == 0) {
        return signal_wait();
    }
    if (strcmp(mode, "block") == 0) {
        printf("blocking\n");
        tl_block_forever();
    }
    if (strcmp(mode, "busy-signals") == 0) {
        return busy_signals();
    }
    if (strcmp(mode, "exit-while-waiting") == 0) {
        return exit_while_waiting();
    }
    if (strcmp(mode, "fork") == 0) {
        return fork_test();
    }
    if (strcmp(mode, "unwind") == 0) {
        return unwind();
    }
    if (strcmp(mode, "spawn-fail") == 0) {
        return spawn_fail();
    }
    if (strcmp(mode, "host-threads") == 0 && argc == 3) {
        return host_threads(atoi(argv[2]));
    }
    if (strcmp(mode, "stale-channel") == 0) {
        return stale_channel();
    }
    if (strcmp(mode, "fork-in-calls") == 0) {
        return fork_in_calls();
    }
    if (strcmp(mode, "exit-in-callback") == 0) {
        return exit_in_callback();
    }
    fprintf(stderr, "usage: see the comment at the top of testlib_prog.c\n");
    return 2;
}
