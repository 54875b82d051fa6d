/* The host (native) implementation of liblorelei-testlib; see testlib.h. */
#include "testlib.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

/* For tests of what happens while the plugin loads this library (its
 * LIB_OPEN holds a lock meanwhile): TL_SLOW_LOAD_MS makes loading slow,
 * TL_FORK_WHILE_LOADING makes it fork (a child that exits at once), as
 * libraries that start a helper process do. */
__attribute__((constructor)) static void load_hooks(void)
{
    const char *ms = getenv("TL_SLOW_LOAD_MS");
    if (ms) {
        struct timespec ts = {atoi(ms) / 1000, (atoi(ms) % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (getenv("TL_FORK_WHILE_LOADING")) {
        pid_t pid = fork();
        if (pid == 0) {
            _exit(0);
        }
        if (pid > 0) {
            waitpid(pid, NULL, 0);
        }
    }
}

EXPORT int8_t tl_i8(int8_t a)
{
    return (int8_t)(a * 3);
}
EXPORT uint8_t tl_u8(uint8_t a)
{
    return (uint8_t)(a * 3);
}
EXPORT int16_t tl_i16(int16_t a)
{
    return (int16_t)(a * 3);
}
EXPORT uint16_t tl_u16(uint16_t a)
{
    return (uint16_t)(a * 3);
}
EXPORT int32_t tl_i32(int32_t a)
{
    return (int32_t)((uint32_t)a * 3u);
}
EXPORT uint32_t tl_u32(uint32_t a)
{
    return a * 3u;
}
EXPORT int64_t tl_i64(int64_t a)
{
    return (int64_t)((uint64_t)a * 3u);
}
EXPORT uint64_t tl_u64(uint64_t a)
{
    return a * 3u;
}
EXPORT float tl_f32(float a, float b)
{
    return a * b + 0.5f;
}
EXPORT double tl_f64(double a, float b, int c, double d)
{
    return a * b + c - d;
}

EXPORT double tl_many(int a1, int64_t a2, int a3, int64_t a4, int a5, int64_t a6, int a7,
                      int64_t a8, double d1, float d2, double d3, float d4, double d5, float d6,
                      double d7, float d8, double d9, float d10)
{
    /* Weighted, so an argument in the wrong place changes the result. */
    return a1 + 2.0 * a2 + 3.0 * a3 + 4.0 * a4 + 5.0 * a5 + 6.0 * a6 + 7.0 * a7 + 8.0 * a8 +
           11 * d1 + 12 * d2 + 13 * d3 + 14 * d4 + 15 * d5 + 16 * d6 + 17 * d7 + 18 * d8 + 19 * d9 +
           20 * d10;
}

EXPORT int tl_add(int a, int b)
{
    return a + b;
}
EXPORT void tl_nop(void)
{
}

EXPORT tl_point tl_point_add(tl_point a, tl_point b)
{
    return (tl_point){a.x + b.x, a.y + b.y};
}
EXPORT tl_vec2 tl_vec2_scale(tl_vec2 v, float s)
{
    return (tl_vec2){v.x * s, v.y * s};
}
EXPORT tl_mixed tl_mixed_make(float f, double d, int8_t c)
{
    return (tl_mixed){f, d, c};
}

EXPORT tl_big tl_big_make(int64_t n, const char *name)
{
    tl_big b = {{n * 0.5, n * 1.5, n * 2.5, n * 3.5}, n, ""};
    snprintf(b.name, sizeof(b.name), "%s", name);
    return b;
}

EXPORT double tl_big_sum(tl_big b)
{
    return b.d[0] + b.d[1] + b.d[2] + b.d[3] + (double)b.n + (double)strlen(b.name);
}

EXPORT void tl_point_swap(tl_point *p)
{
    int32_t t = p->x;
    p->x = p->y;
    p->y = t;
}

EXPORT int tl_divmod(int a, int b, int *quotient, int *remainder)
{
    if (b == 0) {
        return -1;
    }
    *quotient = a / b;
    *remainder = a % b;
    return 0;
}

EXPORT size_t tl_strlen(const char *s)
{
    return strlen(s);
}
EXPORT const char *tl_greeting(void)
{
    return "hello from the host library";
}
EXPORT const char *tl_names(int list)
{
    return list ? "alpha\0beta\0gamma\0" : "solo";
}

EXPORT int tl_run_ops(tl_value_ops ops, int x, void *user)
{
    if (ops.note) {
        ops.note("run", user);
    }
    return ops.twice ? ops.twice(x, user) + 1 : -1;
}

EXPORT char *tl_strdup_upper(const char *s)
{
    char *r = strdup(s);
    for (char *c = r; c && *c; c++) {
        *c = (char)toupper((unsigned char)*c);
    }
    return r;
}

EXPORT int tl_dup_bytes(const void *data, size_t n, void **out, size_t *out_len)
{
    if (!data || !n || !(*out = malloc(n))) {
        return -1;
    }
    memcpy(*out, data, n);
    *out_len = n;
    return 0;
}

EXPORT void tl_free(void *p)
{
    free(p);
}

EXPORT int64_t tl_sum_array(const int32_t *values, size_t n)
{
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += values[i] * (int64_t)(i + 1);
    }
    return sum;
}

EXPORT void tl_fill_array(int32_t *values, size_t n, int32_t start)
{
    for (size_t i = 0; i < n; i++) {
        values[i] = start + (int32_t)(i * i);
    }
}

EXPORT int tl_apply(tl_binop op, int a, int b, void *user)
{
    return op(a, b, user);
}

EXPORT int tl_fold(const int *values, size_t n, tl_binop op, void *user)
{
    int acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc = op(acc, values[i], user);
    }
    return acc;
}

EXPORT double tl_apply_d(tl_dfn fn, double x)
{
    return fn(x, (float)x * 0.25f, (int64_t)x * 7);
}

EXPORT int tl_nest(tl_nest_fn fn, int depth, void *user)
{
    return 100 + fn(depth, user);
}

static tl_log_fn logger;
static void *logger_user;
EXPORT void tl_set_logger(tl_log_fn fn, void *user)
{
    logger = fn;
    logger_user = user;
}
EXPORT void tl_get_logger(tl_log_fn *fn, void **user)
{
    *fn = logger;
    *user = logger_user;
}
EXPORT void tl_log(const char *message)
{
    if (logger) {
        logger(message, logger_user);
    }
}
EXPORT void tl_log_unannotated(const char *message)
{
    tl_log(message);
}

EXPORT int tl_ops_roundtrip(tl_ops *ops, int delta)
{
    int v = ops->get(ops->ctx);
    ops->put(ops->ctx, v + delta);
    return ops->get(ops->ctx);
}

EXPORT int tl_stream_drain(tl_stream *s, int close_it)
{
    char buf[4];
    int total = 0, n;
    while ((n = s->read(s, buf, (int)sizeof(buf))) > 0) {
        total += n;
    }
    if (close_it) {
        s->close(s);
    }
    return total;
}

struct thread_job {
    tl_binop op;
    int a, b, calls;
    void *user;
    int64_t result;
};

static void *run_job(void *arg)
{
    struct thread_job *j = arg;
    for (int i = 0; i < j->calls; i++) {
        j->result += j->op(j->a + i, j->b, j->user);
    }
    return NULL;
}

EXPORT int tl_run_in_thread(tl_binop op, int a, int b, void *user)
{
    struct thread_job j = {op, a, b, 1, user, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, run_job, &j) != 0) {
        return -1;
    }
    pthread_join(t, NULL);
    return (int)j.result;
}

EXPORT int64_t tl_run_in_threads(tl_binop op, int threads, int calls_each, void *user)
{
    struct thread_job jobs[64];
    pthread_t ts[64];
    if (threads > 64) {
        threads = 64;
    }
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct thread_job){op, i * 1000, i, calls_each, user, 0};
        pthread_create(&ts[i], NULL, run_job, &jobs[i]);
    }
    int64_t sum = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(ts[i], NULL);
        sum += jobs[i].result;
    }
    return sum;
}

struct tl_handle {
    int value;
    uint32_t magic;
};
EXPORT tl_handle *tl_handle_new(int value)
{
    tl_handle *h = malloc(sizeof(*h));
    h->value = value;
    h->magic = 0x7e57u;
    return h;
}
EXPORT int tl_handle_get(const tl_handle *h)
{
    return h->magic == 0x7e57u ? h->value : -1;
}
EXPORT void tl_handle_free(tl_handle *h)
{
    h->magic = 0;
    free(h);
}

EXPORT void *tl_get_proc(const char *name)
{
    static const struct {
        const char *name;
        void *fn;
    } table[] = {
        {"tl_add", (void *)tl_add}, {"tl_nop", (void *)tl_nop}, {"tl_strlen", (void *)tl_strlen}};
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strcmp(table[i].name, name) == 0) {
            return table[i].fn;
        }
    }
    return NULL;
}

EXPORT int tl_fail_with_errno(int error)
{
    errno = error;
    return -1;
}

static char last_message[256];
EXPORT int tl_logf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_message, sizeof(last_message), fmt, ap);
    va_end(ap);
    return n;
}
EXPORT const char *tl_last_message(void)
{
    return last_message;
}

EXPORT void tl_block_forever(void)
{
    for (;;) {
        pause();
    }
}

static atomic_bool stop_busy;
static pthread_t busy[16];
static int n_busy;
static void *busy_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_busy)) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}
EXPORT void tl_start_busy_threads(int n)
{
    atomic_store(&stop_busy, false);
    for (n_busy = 0; n_busy < n && n_busy < 16; n_busy++) {
        pthread_create(&busy[n_busy], NULL, busy_main, NULL);
    }
}
EXPORT void tl_stop_busy_threads(void)
{
    atomic_store(&stop_busy, true);
    for (int i = 0; i < n_busy; i++) {
        pthread_join(busy[i], NULL);
    }
    n_busy = 0;
}

struct ticker {
    tl_binop op;
    void *user;
};
static void *ticker_main(void *arg)
{
    struct ticker *t = arg;
    for (;;) {
        t->op(1, 2, t->user);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}
EXPORT void tl_start_callback_thread(tl_binop op, void *user)
{
    static struct ticker t;
    t = (struct ticker){op, user};
    pthread_t thread;
    pthread_create(&thread, NULL, ticker_main, &t);
    pthread_detach(thread);
}

/* Waits until tl_set_flag() is called (1) or timeout_ms passes (0). */
static pthread_mutex_t flag_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t flag_cond = PTHREAD_COND_INITIALIZER;
static int flag;
EXPORT int tl_wait_flag(int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&flag_lock);
    int rc = 0;
    while (!flag && rc == 0) {
        rc = pthread_cond_timedwait(&flag_cond, &flag_lock, &until);
    }
    int seen = flag;
    pthread_mutex_unlock(&flag_lock);
    return seen;
}
EXPORT void tl_set_flag(int value)
{
    pthread_mutex_lock(&flag_lock);
    flag = value;
    pthread_cond_broadcast(&flag_cond);
    pthread_mutex_unlock(&flag_lock);
}

/* Busy for `us` microseconds without waiting for anything; returns the
 * number of clock reads. */
EXPORT int64_t tl_spin_us(int64_t us)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int64_t reads = 0;
    do {
        clock_gettime(CLOCK_MONOTONIC, &now);
        reads++;
    } while ((now.tv_sec - start.tv_sec) * 1000000 + (now.tv_nsec - start.tv_nsec) / 1000 < us);
    return reads;
}

/* Uses about `kib` KiB of stack (as deep driver code would); returns a
 * checksum that depends on all of it. */
__attribute__((noinline)) static int deep(int kib, volatile char *prev)
{
    volatile char page[1024];
    for (size_t i = 0; i < sizeof(page); i++) {
        page[i] = (char)(i + kib);
    }
    int sum = page[kib % 1024] + (prev ? prev[0] : 0);
    return kib > 1 ? sum + deep(kib - 1, page) : sum;
}
EXPORT int tl_deep_stack(int kib)
{
    return deep(kib, NULL);
}

EXPORT int tl_fork_and_wait(void)
{
    pid_t pid = fork();
    if (pid < 0) {
        return -errno;
    }
    if (pid == 0) {
        _exit(7);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) {
        return -errno;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
