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
 * plugin's tables, and registers an instruction callback on the marker only
 * there: no other guest code pays anything when it runs. The callback reads
 * rdx, runs the thunk and writes 0 into the status slot. The two stores are
 * the frame's proof of validity: they ran as guest code right before the
 * marker, with the same rdx, so QEMU has checked that the first and the last
 * page of the frame are writable guest memory (a wild frame pointer faults in
 * the guest's own store, as it would natively, before the plugin looks).
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
static struct qemu_plugin_register *_Atomic rdx_handle;
static atomic_bool no_rdx_reported;

static const uint8_t marker[LORELEI_INLINE_MARKER_SIZE] = {LORELEI_INLINE_MARKER_BYTES};

/* Per guest thread: scratch for reading rdx, and a host stack for threads
 * whose own is too small for host library code (threads.c explains). */
struct lorelei_inline_thread {
    GByteArray *reg;
    struct lorelei_coro *coro;
    /* the call the coroutine runs */
    const struct lorelei_host_fn *fn;
    void *native;
    uint64_t *frame;
};

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
        it->reg = g_byte_array_sized_new(16);
        t->inline_state = it;
    }
    return t->inline_state;
}

void lorelei_inline_thread_exit(struct lorelei_thread *t)
{
    struct lorelei_inline_thread *it = t->inline_state;
    if (it) {
        t->inline_state = NULL;
        g_byte_array_unref(it->reg);
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

/* The callback on a marker whose stores named a function that may be
 * served inline; fn_id has been checked at translation time. */
static void on_marker(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    uint64_t fn_id = (uint64_t)(uintptr_t)userdata;
    const struct lorelei_host_lib *lib = lorelei_lib_by_id(LORELEI_FN_LIB(fn_id));
    uint32_t index = (uint32_t)LORELEI_FN_INDEX(fn_id);
    const struct lorelei_host_fn *fn = &lib->fns[index];
    /* Each condition below sends the call to the syscall path, which knows
     * what to do about it. */
    if (!lorelei_lib_is_open(lib) ||
        ((fn->flags & LORELEI_FN_CALLBACK_IF_ARMED) && lorelei_lib_is_armed(lib)) ||
        atomic_load_explicit(&lorelei_signals_dirty, memory_order_relaxed) ||
        atomic_load_explicit(&lorelei_manager_wanted, memory_order_relaxed)) {
        return;
    }
    void *native = __atomic_load_n(&lib->natives[index], __ATOMIC_RELAXED);
    if (!native) {
        return;
    }
    struct lorelei_thread *t = lorelei_thread_get(true);
    struct lorelei_inline_thread *it = inline_thread(t);
    g_byte_array_set_size(it->reg, 0);
    qemu_plugin_read_register(atomic_load_explicit(&rdx_handle, memory_order_relaxed), it->reg);
    if (it->reg->len < sizeof(uint64_t)) {
        return;
    }
    uint64_t rdx;
    memcpy(&rdx, it->reg->data, sizeof(rdx));
    uint64_t *frame = (uint64_t *)(uintptr_t)rdx;
    t->in_host_call = true;
    if (t->big_stack) {
        fn->thunk(frame, native);
    } else {
        call_on_coroutine(it, fn, native, frame);
    }
    t->in_host_call = false;
    /* Thunks report through the frame and always return 0 (emit_host.py). */
    frame[-1] = 0;
}

/* The callback on a marker whose stores named no valid function or frame. */
static void on_bad_marker(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    struct lorelei_thread *t = lorelei_thread_get(true);
    struct lorelei_inline_thread *it = inline_thread(t);
    g_byte_array_set_size(it->reg, 0);
    qemu_plugin_read_register(atomic_load_explicit(&rdx_handle, memory_order_relaxed), it->reg);
    if (it->reg->len >= sizeof(uint64_t)) {
        uint64_t rdx;
        memcpy(&rdx, it->reg->data, sizeof(rdx));
        ((int64_t *)(uintptr_t)rdx)[-1] = -(int64_t)(uintptr_t)userdata;
    }
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

static bool find_rdx(void)
{
    if (atomic_load(&rdx_handle)) {
        return true;
    }
    GArray *regs = qemu_plugin_get_registers();
    for (guint i = 0; regs && i < regs->len; i++) {
        qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
        if (strcmp(d->name, "rdx") == 0) {
            atomic_store(&rdx_handle, d->handle);
        }
    }
    if (regs) {
        g_array_free(regs, TRUE);
    }
    if (!atomic_load(&rdx_handle) && !atomic_exchange(&no_rdx_reported, true)) {
        lorelei_log("QEMU names no register rdx, so the inline transport is off: every "
                    "forwarded call takes the syscall path (slower, but it works)");
    }
    return atomic_load(&rdx_handle) != NULL;
}

/* What to register on a marker whose two stores name fn_id and top. */
static void instrument(struct qemu_plugin_insn *insn, int64_t fn_id, int64_t top)
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
        qemu_plugin_register_vcpu_insn_exec_cb(insn, on_bad_marker, QEMU_PLUGIN_CB_R_REGS,
                                               (void *)(uintptr_t)error);
        return;
    }
    const struct lorelei_host_fn *fn = &lib->fns[index];
    if ((fn->flags & LORELEI_FN_MAY_CALLBACK) ||
        ((fn->flags & LORELEI_FN_BLOCKING) && !serve_blocking) ||
        (syscall_libs & (1u << lib->id))) {
        return; /* the syscall path, for good: nothing to run here */
    }
    qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_R_REGS,
                                           (void *)(uintptr_t)fn_id);
}

static LORELEI_TB_TRANS_CB(on_translate)
{
    LORELEI_TB_TRANS_UNUSED;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 2; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        int64_t fn_id, top;
        if (!is_marker(insn) || !decode_id_store(qemu_plugin_tb_get_insn(tb, i - 2), &fn_id) ||
            !decode_top_store(qemu_plugin_tb_get_insn(tb, i - 1), &top) || !find_rdx()) {
            continue;
        }
        instrument(insn, fn_id, top);
    }
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
    lorelei_register_tb_trans(id, on_translate);
}
