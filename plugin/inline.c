/*
 * The inline transport: forwarded calls served without leaving QEMU's CPU
 * loop (docs/abi.md, "Inline calls"; include/lorelei/abi.h has the wire
 * format).
 *
 * A stub that may take this path ends with two guest stores and a marker
 * instruction (a long no-op):
 *
 *   movq $fn_id, -8(%rdx)     the status slot in front of the frame
 *   movq $0, top(%rdx)        the frame's last slot
 *   nopw 0x4c52(%rax,%rax,1)  the marker
 *
 * At translation time this file looks for markers preceded by exactly these
 * two stores in the same translation block, checks fn_id and top against the
 * plugin's tables, and registers a memory callback on the second store only
 * there: no other guest code pays anything when it runs. TCG calls it right
 * after the store with the address stored to, frame + top, so the frame
 * comes for free (reading rdx through the register API would cost about as
 * much as the rest of the call); the callback runs the thunk and writes 0
 * into the status slot, and the marker that follows is a no-op. The two
 * stores are the frame's proof of validity: they ran as guest code, with the
 * same rdx, so QEMU has checked that the first and the last page of the
 * frame are writable guest memory (a wild frame pointer faults in the
 * guest's own store, as it would natively, before the plugin looks).
 *
 * Whatever the callback does not serve, it leaves alone: the status slot
 * still holds fn_id, and the stub issues the magic syscall as before. That
 * keeps every unusual condition on the proven syscall path: the library not
 * open yet, the function not resolved, a library armed for callbacks, the
 * first call of a fork() child (the manager restart), a pending refresh of
 * the signal wrappers. Functions that may call back never get a marker
 * (thunkgen), and functions the description classifies as blocking get no
 * callback: a call blocked inside translated code keeps its vCPU "running",
 * and a thread that needs exclusive access (fork, a translation-cache flush)
 * would wait for it - possibly forever.
 *
 * A marker with a bad function id or frame size gets a callback that writes
 * the error (-LORELEI_ENOENT, -LORELEI_EINVAL) into the status slot: the
 * stub then issues CALL, which reports the same error.
 *
 * Plugin arguments (plugin.c passes them on):
 *   transport=inline|syscall       every library (default inline)
 *   transport.NAME=inline|syscall  library NAME, whatever the default says
 *   test_inline_blocking=on        tests only: serve blocking functions
 *                                  inline too, to show why they must not be
 */
#include <dlfcn.h>
#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "qemu_compat.h"

enum { MAX_LIB_IDS = 32 };

static bool default_syscall;         /* transport=syscall */
static uint32_t libs_chosen;         /* bit per library id: transport.NAME given */
static uint32_t libs_chosen_syscall; /* ... and it said syscall */
static bool serve_blocking;          /* test_inline_blocking=on */
static uint32_t syscall_libs;        /* the outcome, fixed at install */

static const uint8_t marker[LORELEI_INLINE_MARKER_SIZE] = {LORELEI_INLINE_MARKER_BYTES};

/* Per guest thread: a host stack for threads whose own is too small for host
 * library code (threads.c explains). */
struct lorelei_inline_thread {
    const struct inline_fn *serving; /* the inline call running now, or NULL */
    struct lorelei_coro *coro;
    /* the call the coroutine runs */
    const struct lorelei_host_fn *fn;
    void *native;
    uint64_t *frame;
};

struct inline_fn;

/* ---- arguments --------------------------------------------------------------- */

static bool parse_transport(const char *key, const char *val, bool *syscall)
{
    if (strcmp(val, "syscall") == 0 || strcmp(val, "inline") == 0) {
        *syscall = val[0] == 's';
        return true;
    }
    lorelei_log("%s=%s: expected inline or syscall (syscall forwards every call through the "
                "magic syscall, as before the inline transport)",
                key, val);
    return false;
}

enum lorelei_arg_result lorelei_inline_parse_arg(const char *key, size_t klen, const char *val)
{
    char name[64];
    if (klen >= sizeof(name)) {
        return LORELEI_ARG_NOT_MINE;
    }
    memcpy(name, key, klen);
    name[klen] = '\0';
    if (strcmp(name, "transport") == 0) {
        return parse_transport(name, val, &default_syscall) ? LORELEI_ARG_OK : LORELEI_ARG_BAD;
    }
    if (strncmp(name, "transport.", 10) == 0) {
        const struct lorelei_host_lib *lib = lorelei_lib_by_name(name + 10);
        if (!lib) {
            lorelei_log("unknown thunk library '%s' in %s=%s (this plugin has: %s)", name + 10,
                        name, val, lorelei_lib_names());
            return LORELEI_ARG_BAD;
        }
        bool syscall;
        if (!parse_transport(name, val, &syscall)) {
            return LORELEI_ARG_BAD;
        }
        libs_chosen |= 1u << lib->id;
        libs_chosen_syscall =
            syscall ? libs_chosen_syscall | 1u << lib->id : libs_chosen_syscall & ~(1u << lib->id);
        return LORELEI_ARG_OK;
    }
    if (strcmp(name, "test_inline_blocking") == 0) {
        if (!qemu_plugin_bool_parse(name, val, &serve_blocking)) {
            lorelei_log("%s=%s: expected on or off", name, val);
            return LORELEI_ARG_BAD;
        }
        return LORELEI_ARG_OK;
    }
    return LORELEI_ARG_NOT_MINE;
}

/* ---- the call ----------------------------------------------------------------- */

static struct lorelei_inline_thread *inline_thread(struct lorelei_thread *t)
{
    if (__builtin_expect(t->inline_state == NULL, 0)) {
        struct lorelei_inline_thread *it = calloc(1, sizeof(*it));
        if (!it) {
            lorelei_log("out of memory for per-thread state");
            abort();
        }
        t->inline_state = it;
    }
    return t->inline_state;
}

void lorelei_inline_thread_exit(struct lorelei_thread *t)
{
    struct lorelei_inline_thread *it = t->inline_state;
    if (it) {
        t->inline_state = NULL;
        lorelei_coro_free(it->coro);
        free(it);
    }
}

static void coro_body(struct lorelei_coro *c)
{
    for (;;) {
        struct lorelei_inline_thread *it = c->job;
        it->fn->thunk(it->frame, it->native);
        lorelei_coro_leave(c);
    }
}

/* A thread with too little host stack of its own runs the thunk on a
 * coroutine stack, as calls.c does for the syscall path. */
static void call_on_coroutine(struct lorelei_inline_thread *it, const struct lorelei_host_fn *fn,
                              void *native, uint64_t *frame)
{
    if (!it->coro) {
        it->coro = lorelei_coro_new(lorelei_opts.coro_stack_size, coro_body);
        if (!it->coro) {
            lorelei_log("cannot map a %zu KiB stack for a host call: out of memory",
                        lorelei_opts.coro_stack_size >> 10);
            abort();
        }
        it->coro->job = it;
    }
    it->fn = fn;
    it->native = native;
    it->frame = frame;
    lorelei_coro_enter(it->coro);
}

/* Bad requests: userdata is BAD_SITE | the frame's offset from the stored
 * address << 8 | the error. */
#define BAD_SITE (1ull << 63)

/* What a call site needs at run time, worked out once per function at
 * translation time: the callback's userdata. */
struct inline_fn {
    const struct lorelei_host_lib *lib;
    const struct lorelei_host_fn *fn;
    void **native;
    uint64_t top; /* bytes from the frame to its last slot, the stored address */
    bool check_armed;
    atomic_bool forks; /* it forked during an inline call: syscall path from now on */
};
static struct inline_fn *_Atomic fn_tables[MAX_LIB_IDS];
/* Set once a library was seen open (it never closes): saves the call. */
static atomic_bool lib_open[MAX_LIB_IDS];

static struct inline_fn *inline_fn(const struct lorelei_host_lib *lib, uint32_t index)
{
    struct inline_fn *table = atomic_load(&fn_tables[lib->id]);
    if (!table) {
        struct inline_fn *mine = calloc(lib->n_fns, sizeof(*mine));
        if (!mine) {
            lorelei_log("out of memory for the inline transport's tables");
            abort();
        }
        table = NULL;
        if (atomic_compare_exchange_strong(&fn_tables[lib->id], &table, mine)) {
            table = mine;
        } else {
            free(mine);
        }
    }
    struct inline_fn *d = &table[index];
    /* Translation is serialised, and the code that passes d to the callback
     * is published after it is filled in. */
    if (!d->fn) {
        d->lib = lib;
        d->native = &lib->natives[index];
        d->top = 8 * ((uint64_t)lib->fns[index].frame_slots - 1);
        d->check_armed = lib->fns[index].flags & LORELEI_FN_CALLBACK_IF_ARMED;
        d->fn = &lib->fns[index];
    }
    return d;
}

/* Called right after the store to the frame's last slot, frame + top: the
 * site named a function that may be served inline (checked at translation
 * time; userdata is its struct inline_fn). */
static void on_frame_stored(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
                            void *userdata)
{
    (void)vcpu, (void)info;
    const struct inline_fn *d = userdata;
    const struct lorelei_host_fn *fn = d->fn;
    /* Each condition below sends the call to the syscall path, which knows
     * what to do about it. Acquire: what the library's opening wrote
     * (natives[]) is visible once it is seen open. */
    if (__builtin_expect(!atomic_load_explicit(&lib_open[d->lib->id], memory_order_acquire), 0)) {
        if (!lorelei_lib_is_open(d->lib)) {
            return;
        }
        atomic_store_explicit(&lib_open[d->lib->id], true, memory_order_release);
    }
    if ((d->check_armed && lorelei_lib_is_armed(d->lib)) ||
        atomic_load_explicit(&d->forks, memory_order_relaxed) ||
        atomic_load_explicit(&lorelei_signals_dirty, memory_order_relaxed) ||
        atomic_load_explicit(&lorelei_manager_wanted, memory_order_relaxed)) {
        return;
    }
    void *native = __atomic_load_n(d->native, __ATOMIC_RELAXED);
    if (!native) {
        return;
    }
    uint64_t *frame = (uint64_t *)(uintptr_t)(vaddr - d->top);
    struct lorelei_thread *t = lorelei_thread_get(true);
    struct lorelei_inline_thread *it = inline_thread(t);
    it->serving = d;
    t->in_host_call = true;
    if (t->big_stack) {
        fn->thunk(frame, native);
    } else {
        call_on_coroutine(it, fn, native, frame);
    }
    t->in_host_call = false;
    it->serving = NULL;
    /* Thunks report through the frame and always return 0 (emit_host.py). */
    frame[-1] = 0;
}

/* The same for a site whose stores named no valid function or frame. */
static void on_bad_frame_stored(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
                                void *userdata)
{
    (void)vcpu, (void)info;
    uint64_t code = (uint64_t)(uintptr_t)userdata;
    int32_t top = (int32_t)(uint32_t)(code >> 8);
    int64_t *status = (int64_t *)(uintptr_t)(vaddr - (uint64_t)(int64_t)top - 8);
    *status = -(int64_t)(code & 0xff);
}

/* ---- translation ----------------------------------------------------------------- */

static size_t insn_bytes(struct qemu_plugin_insn *insn, uint8_t *out, size_t cap)
{
    size_t n = qemu_plugin_insn_size(insn);
    if (n == 0 || n > cap || qemu_plugin_insn_data(insn, out, n) != n) {
        return 0;
    }
    return n;
}

static int32_t le32(const uint8_t *p)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return (int32_t)v;
}

/* movq $imm32, -8(%rdx): 48 c7 42 f8 imm32 */
static bool decode_id_store(struct qemu_plugin_insn *insn, int64_t *id)
{
    uint8_t b[16];
    size_t n = insn_bytes(insn, b, sizeof(b));
    if (n != 8 || b[0] != 0x48 || b[1] != 0xc7 || b[2] != 0x42 || b[3] != 0xf8) {
        return false;
    }
    *id = le32(b + 4);
    return true;
}

/* movq $0, disp(%rdx), with no, an 8-bit or a 32-bit displacement */
static bool decode_top_store(struct qemu_plugin_insn *insn, int64_t *disp)
{
    uint8_t b[16];
    size_t n = insn_bytes(insn, b, sizeof(b));
    if (n < 7 || b[0] != 0x48 || b[1] != 0xc7 || le32(b + n - 4) != 0) {
        return false;
    }
    if (n == 7 && b[2] == 0x02) {
        *disp = 0;
    } else if (n == 8 && b[2] == 0x42) {
        *disp = (int8_t)b[3];
    } else if (n == 11 && b[2] == 0x82) {
        *disp = le32(b + 3);
    } else {
        return false;
    }
    return true;
}

static bool is_marker(struct qemu_plugin_insn *insn)
{
    uint8_t b[LORELEI_INLINE_MARKER_SIZE];
    return qemu_plugin_insn_size(insn) == sizeof(marker) &&
           insn_bytes(insn, b, sizeof(b)) == sizeof(marker) && memcmp(b, marker, sizeof(b)) == 0;
}

/* What to register on the store to the frame's last slot of a site whose
 * two stores name fn_id and top. */
static void instrument(struct qemu_plugin_insn *store, int64_t fn_id, int64_t top)
{
    const struct lorelei_host_lib *lib =
        fn_id > 0 && fn_id >> 32 == 0 ? lorelei_lib_by_id(LORELEI_FN_LIB(fn_id)) : NULL;
    uint64_t index = LORELEI_FN_INDEX(fn_id);
    int error = 0;
    if (!lib || index >= lib->n_fns) {
        error = LORELEI_ENOENT;
    } else if (top != 8 * ((int64_t)lib->fns[index].frame_slots - 1)) {
        error = LORELEI_EINVAL; /* not the frame this function has */
    }
    if (error) {
        uint64_t code = BAD_SITE | (uint64_t)(uint32_t)(int32_t)top << 8 | (uint64_t)error;
        qemu_plugin_register_vcpu_mem_cb(store, on_bad_frame_stored, QEMU_PLUGIN_CB_NO_REGS,
                                         QEMU_PLUGIN_MEM_W, (void *)(uintptr_t)code);
        return;
    }
    const struct lorelei_host_fn *fn = &lib->fns[index];
    if ((fn->flags & LORELEI_FN_MAY_CALLBACK) ||
        ((fn->flags & LORELEI_FN_BLOCKING) && !serve_blocking) ||
        (syscall_libs & (1u << lib->id))) {
        return; /* the syscall path, for good: nothing to run here */
    }
    /* R_REGS: the guest registers are in memory while host code runs, so a
     * guest signal raised from inside it (a fault on a bad pointer the game
     * passed) sees them as they are. */
    qemu_plugin_register_vcpu_mem_cb(store, on_frame_stored, QEMU_PLUGIN_CB_R_REGS,
                                     QEMU_PLUGIN_MEM_W, inline_fn(lib, (uint32_t)index));
}

static LORELEI_TB_TRANS_CB(on_translate)
{
    LORELEI_TB_TRANS_UNUSED;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 2; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        int64_t fn_id, top;
        struct qemu_plugin_insn *top_store = qemu_plugin_tb_get_insn(tb, i - 1);
        if (!is_marker(insn) || !decode_id_store(qemu_plugin_tb_get_insn(tb, i - 2), &fn_id) ||
            !decode_top_store(top_store, &top)) {
            continue;
        }
        instrument(top_store, fn_id, top);
    }
}

/* liblorelei-preload.so's fork() asks this (plugin/preload.c): a fork from
 * host code running inside translated code would deadlock against QEMU's
 * RCU fork handlers (they wait for this very thread to leave its RCU
 * read-side section) or abort in the child. Refused, with the function
 * named, and the function takes the syscall path from now on; such
 * functions belong in the description's blocking list. */
static bool fork_refused(void)
{
    struct lorelei_thread *t = lorelei_thread_peek();
    struct lorelei_inline_thread *it = t ? t->inline_state : NULL;
    struct inline_fn *d = it ? (struct inline_fn *)it->serving : NULL;
    if (!d) {
        return false;
    }
    if (!atomic_exchange(&d->forks, true)) {
        lorelei_log("%s: %s forked a process while running inline (inside QEMU's translated "
                    "code, where forking deadlocks); the fork fails with EAGAIN this once and "
                    "%s takes the syscall path from now on. Mark it blocking in the library's "
                    "description (thunklibs/%s/%s.toml)",
                    d->lib->name, d->fn->name, d->fn->name, d->lib->name, d->lib->name);
    }
    return true;
}

void lorelei_inline_install(qemu_plugin_id_t id)
{
    for (uint32_t lib_id = 0; lib_id < MAX_LIB_IDS; lib_id++) {
        bool syscall =
            (libs_chosen & (1u << lib_id)) ? (libs_chosen_syscall >> lib_id) & 1 : default_syscall;
        syscall_libs |= (uint32_t)syscall << lib_id;
    }
    if (syscall_libs == UINT32_MAX) {
        return; /* no translation callback at all: exactly the syscall transport */
    }
    bool (**guard)(void) = dlsym(RTLD_DEFAULT, "lorelei_preload_fork_refused");
    if (guard) {
        __atomic_store_n(guard, fork_refused, __ATOMIC_RELEASE);
    }
    lorelei_register_tb_trans(id, on_translate);
}
