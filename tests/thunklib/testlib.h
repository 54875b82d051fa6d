/*
 * liblorelei-testlib: a host library of the project's own whose API has
 * every shape the real libraries need forwarded. Its guest stub is generated
 * like SDL2's (testlib.toml); testlib_prog runs against the real library
 * natively and against the stub under qemu-lorelei, and the outputs must be
 * identical.
 */
#ifndef LORELEI_TESTLIB_H
#define LORELEI_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

typedef struct tl_point {
    int32_t x, y;
} tl_point; /* by value, INTEGER class */
typedef struct tl_vec2 {
    float x, y;
} tl_vec2; /* by value, SSE class */
typedef struct tl_mixed {
    float f;
    double d;
    int8_t c;
} tl_mixed;
typedef struct tl_big {
    double d[4];
    int64_t n;
    char name[24];
} tl_big;                           /* in memory */
typedef struct tl_handle tl_handle; /* opaque */

typedef int (*tl_binop)(int a, int b, void *user);
typedef double (*tl_dfn)(double x, float y, int64_t z);
typedef int (*tl_nest_fn)(int depth, void *user);
typedef void (*tl_log_fn)(const char *message, void *user);
/* an object with a vtable (like SDL_RWops): callbacks get the object itself */
typedef struct tl_stream {
    int (*read)(struct tl_stream *self, char *buf, int n);
    void (*close)(struct tl_stream *self);
    int position;
} tl_stream;
typedef struct tl_ops {
    int (*get)(void *ctx);
    void (*put)(void *ctx, int value);
    void *ctx;
} tl_ops;

/* scalars of every width, floats */
int8_t tl_i8(int8_t a);
uint8_t tl_u8(uint8_t a);
int16_t tl_i16(int16_t a);
uint16_t tl_u16(uint16_t a);
int32_t tl_i32(int32_t a);
uint32_t tl_u32(uint32_t a);
int64_t tl_i64(int64_t a);
uint64_t tl_u64(uint64_t a);
float tl_f32(float a, float b);
double tl_f64(double a, float b, int c, double d);
double tl_many(int a1, int64_t a2, int a3, int64_t a4, int a5, int64_t a6, int a7, int64_t a8,
               double d1, float d2, double d3, float d4, double d5, float d6, double d7, float d8,
               double d9, float d10);
/* trivial calls (the benchmark's) */
int tl_add(int a, int b);
void tl_nop(void);
/* structs by value and by pointer */
tl_point tl_point_add(tl_point a, tl_point b);
tl_vec2 tl_vec2_scale(tl_vec2 v, float s);
tl_mixed tl_mixed_make(float f, double d, int8_t c);
tl_big tl_big_make(int64_t n, const char *name);
double tl_big_sum(tl_big b);
void tl_point_swap(tl_point *p);
/* out-parameters, strings, arrays */
int tl_divmod(int a, int b, int *quotient, int *remainder);
size_t tl_strlen(const char *s);
const char *tl_greeting(void);
/* a string the library keeps: "alpha", "beta", "gamma" ended by an empty
 * string when list is non-zero (alcGetString's device lists), else "solo" */
const char *tl_names(int list);
/* A struct of callbacks passed by value (libvorbisfile's ov_callbacks):
 * note("run") if set, then twice(x) + 1, or -1 without twice. */
typedef struct {
    int (*twice)(int x, void *user);
    void (*note)(const char *what, void *user);
} tl_value_ops;
int tl_run_ops(tl_value_ops ops, int x, void *user);
char *tl_strdup_upper(const char *s);
/* A copy in *out (allocated: the caller frees it with tl_free) of n bytes,
 * its length in *out_len; 0, or -1 (and *out untouched) for no data. */
int tl_dup_bytes(const void *data, size_t n, void **out, size_t *out_len);
void tl_free(void *p);
int64_t tl_sum_array(const int32_t *values, size_t n);
void tl_fill_array(int32_t *values, size_t n, int32_t start);
/* callbacks: synchronous, repeated, floats, nested, stored, in structs, from host threads */
int tl_apply(tl_binop op, int a, int b, void *user);
int tl_fold(const int *values, size_t n, tl_binop op, void *user);
double tl_apply_d(tl_dfn fn, double x);
int tl_nest(tl_nest_fn fn, int depth, void *user);
void tl_set_logger(tl_log_fn fn, void *user);
void tl_get_logger(tl_log_fn *fn, void **user);
void tl_log(const char *message);
/* like tl_log, but not annotated may_callback: its callback takes the
 * service-thread path although it runs on the calling thread natively */
void tl_log_unannotated(const char *message);
int tl_ops_roundtrip(tl_ops *ops, int delta);
/* reads s to the end in chunks of 4; closes (and so frees) it if asked */
int tl_stream_drain(tl_stream *s, int close_it);
int tl_run_in_thread(tl_binop op, int a, int b, void *user);
int64_t tl_run_in_threads(tl_binop op, int threads, int calls_each, void *user);
/* opaque handles */
tl_handle *tl_handle_new(int value);
int tl_handle_get(const tl_handle *h);
void tl_handle_free(tl_handle *h);
/* a GetProcAddress-style lookup: answers with the caller's own view of the
 * function (under qemu-lorelei: the guest stub), NULL for unknown names */
void *tl_get_proc(const char *name);
/* errno-like state */
int tl_fail_with_errno(int error);
/* variadic, printf-style; the host formats nothing itself */
int tl_logf(const char *fmt, ...);
const char *tl_last_message(void);
/* signals and exit */
void tl_block_forever(void);
void tl_start_busy_threads(int n);
void tl_stop_busy_threads(void);
void tl_start_callback_thread(tl_binop op, void *user);
/* the transports: a call that waits for another thread (classified blocking
 * by its name), one that only takes time, and one that needs deep stack */
int tl_wait_flag(int timeout_ms);
void tl_set_flag(int value);
int64_t tl_spin_us(int64_t us);
int tl_deep_stack(int kib);
/* forks a child that exits with 7 and waits for it: its status, or -errno
 * (a library that forks, as libdbus does to start a session bus) */
int tl_fork_and_wait(void);

#endif
