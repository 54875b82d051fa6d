/*
 * liblorelei-plugin.so - the host half of qemu-lorelei.
 *
 * A TCG plugin that filters one magic syscall (include/lorelei/abi.h,
 * docs/abi.md): the guest's stub libraries (thunklibs/) issue it to call
 * SDL2, OpenGL and Vulkan on the host. Every other syscall passes through.
 *
 * Arguments (key=value, comma-separated after the plugin path):
 *   lib=NAME        enable a thunk library (repeat for each); its host
 *                   library is loaded when the game's stub asks for it
 *   stack_kib=N     coroutine stack for host calls, KiB (default 2048)
 *   verbose=on      log library loading and service threads to stderr
 *   transport=inline|syscall, transport.NAME=inline|syscall
 *                   how forwarded calls reach the host (inline.c)
 *
 * Requirements: guest_base == 0 (qemu-x86_64's default; checked at the
 * handshake), and liblorelei-preload.so preloaded into QEMU so threads that
 * host libraries create start with signals blocked (qemu-lorelei run does
 * both). Trust: the guest picks only indices into tables built into this
 * plugin; each is bounds-checked and answered with an error code if wrong.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guest-base.h"
#include "internal.h"
#include "lorelei/host-va.h"
#include "qemu_compat.h"

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define DEFAULT_STACK_KIB 2048
#define MIN_STACK_KIB     64
#define MAX_STACK_KIB     (256 * 1024)

struct lorelei_options lorelei_opts = {.coro_stack_size = DEFAULT_STACK_KIB << 10};

static void vlog(const char *fmt, va_list ap)
{
    char line[1024];
    vsnprintf(line, sizeof(line), fmt, ap);
    fprintf(stderr, "qemu-lorelei: %s\n", line);
}

void lorelei_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

void lorelei_debug(const char *fmt, ...)
{
    if (lorelei_opts.verbose) {
        va_list ap;
        va_start(ap, fmt);
        vlog(fmt, ap);
        va_end(ap);
    }
}

/* ---- HELLO ------------------------------------------------------------------ */

static void reply(struct lorelei_hello *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void reply(struct lorelei_hello *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->message, sizeof(h->message), fmt, ap);
    va_end(ap);
    lorelei_log("%s", h->message);
}

/* Reads `len` bytes at host address `addr` without faulting if unmapped:
 * the kernel copies them and answers EFAULT instead. process_vm_readv does
 * it in one call; where it is not available (ENOSYS under an emulator such
 * as qemu-aarch64, EPERM under some seccomp policies) a pipe does the same,
 * rather than taking its absence for guest_base != 0. */
bool lorelei_host_read(uint64_t addr, void *out, size_t len)
{
    struct iovec local = {out, len}, remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len) {
        return true;
    }
    if (n >= 0 || errno == EFAULT) {
        return false;
    }
    int vm_errno = errno, fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        lorelei_log("cannot check that guest addresses are host addresses: process_vm_readv "
                    "failed (%s) and so did pipe2 (%s)",
                    strerror(vm_errno), strerror(errno));
        return false;
    }
    bool ok = write(fds[1], (const void *)(uintptr_t)addr, len) == (ssize_t)len &&
              read(fds[0], out, len) == (ssize_t)len;
    close(fds[0]);
    close(fds[1]);
    return ok;
}

/* QEMU's own options that take no value (linux-user/main.c); every other
 * option takes one, and the first argument that is not an option is the
 * guest program, after which the arguments are the game's. */
static bool qemu_flag_without_value(const char *opt)
{
    static const char *const flags[] = {
        "-h", "-help", "-version", "-strace", "-singlestep", "-one-insn-per-tb", NULL};
    for (const char *const *f = flags; *f != NULL; f++) {
        if (strcmp(opt, *f) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether QEMU was told where to put the guest: -B/-R among its own options,
 * or the environment variables that stand for them. */
static bool guest_base_was_chosen(void)
{
    if (getenv("QEMU_GUEST_BASE") != NULL || getenv("QEMU_RESERVED_VA") != NULL) {
        return true;
    }
    gchar *cmdline = NULL;
    gsize len = 0;
    if (!g_file_get_contents("/proc/self/cmdline", &cmdline, &len, NULL)) {
        return false;
    }
    bool chosen = false, value_next = false;
    const char *end = cmdline + len;
    const char *arg = cmdline + strnlen(cmdline, len) + 1; /* skip argv[0], QEMU */
    for (; arg < end; arg += strnlen(arg, (size_t)(end - arg)) + 1) {
        if (value_next) {
            value_next = false;
            continue;
        }
        if (arg[0] != '-' || strcmp(arg, "--") == 0) {
            break; /* the guest program */
        }
        const char *opt = arg[1] == '-' ? arg + 1 : arg; /* QEMU takes --opt for -opt */
        chosen |= strcmp(opt, "-B") == 0 || strcmp(opt, "-R") == 0;
        value_next = !qemu_flag_without_value(opt);
    }
    g_free(cmdline);
    return chosen;
}

/* The other way round, with the same fallback: the kernel's read() into an
 * unmapped address answers EFAULT too. */
bool lorelei_host_write(uint64_t addr, const void *data, size_t len)
{
    struct iovec local = {(void *)data, len}, remote = {(void *)(uintptr_t)addr, len};
    ssize_t n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
    if (n == (ssize_t)len) {
        return true;
    }
    if (n >= 0 || errno == EFAULT) {
        return false;
    }
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return false;
    }
    bool ok = write(fds[1], data, len) == (ssize_t)len &&
              read(fds[0], (void *)(uintptr_t)addr, len) == (ssize_t)len;
    close(fds[0]);
    close(fds[1]);
    return ok;
}

atomic_bool lorelei_handshake_ok;

int64_t lorelei_op_hello(uint64_t guest_hello)
{
    /* Prove guest_base == 0 before touching guest memory directly: read the
     * guest's probe through QEMU's translation, then the same address as a
     * host address; they match only if QEMU maps guest X at host X. */
    GByteArray *buf = g_byte_array_new();
    struct lorelei_hello via_qemu;
    bool ok = qemu_plugin_read_memory_vaddr(guest_hello, buf, sizeof(via_qemu));
    if (ok) {
        memcpy(&via_qemu, buf->data, sizeof(via_qemu));
    }
    g_byte_array_unref(buf);
    uint64_t direct = 0;
    if (!ok || !lorelei_host_read(via_qemu.probe_addr, &direct, sizeof(direct)) ||
        direct != via_qemu.probe_value) {
        char advice[LORELEI_MESSAGE_SIZE * 2];
        lorelei_guest_base_advice(guest_base_was_chosen(), lorelei_host_va_bits(), advice,
                                  sizeof(advice));
        lorelei_log("%s", advice);
        return -LORELEI_EFAULT;
    }
    struct lorelei_hello *h = (struct lorelei_hello *)(uintptr_t)guest_hello;
    if (h->abi_version != LORELEI_ABI_VERSION) {
        uint32_t theirs = h->abi_version;
        h->abi_version = LORELEI_ABI_VERSION;
        reply(h,
              "the guest runtime speaks Lorelei ABI %u, this plugin ABI %u: the guest libraries "
              "and the plugin come from different qemu-lorelei versions; reinstall so they match",
              theirs, LORELEI_ABI_VERSION);
        return -LORELEI_EPROTO;
    }
    lorelei_signals_init();
    atomic_store_explicit(&lorelei_handshake_ok, true, memory_order_release);
    static atomic_bool warned;
    if (!dlsym(RTLD_DEFAULT, "lorelei_preload_active") && !atomic_exchange(&warned, true)) {
        lorelei_log("warning: liblorelei-preload.so is not preloaded into QEMU, so a signal that "
                    "arrives while a host library runs its own threads can crash QEMU. Start "
                    "games with 'qemu-lorelei run'");
    }
    return 0;
}

/* ---- the filter --------------------------------------------------------------- */

static bool filter(unsigned int vcpu, int64_t num, uint64_t op, uint64_t a2, uint64_t a3,
                   uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8, int64_t *sysret,
                   void *userdata)
{
    (void)vcpu, (void)a4, (void)a5, (void)a6, (void)a7, (void)a8, (void)userdata;
    if (__builtin_expect(num != LORELEI_SYSCALL_NR, 1)) {
        if (num == LORELEI_GUEST_NR_RT_SIGACTION) {
            lorelei_signals_note_sigaction(op, a2);
        } else if (num == LORELEI_GUEST_NR_EXIT) {
            lorelei_calls_thread_exiting();
        }
        return false;
    }
    struct lorelei_thread *t = lorelei_thread_get(true);
    switch (op) {
    case LORELEI_OP_CALL:
        *sysret = lorelei_op_call(t, a2, a3);
        break;
    case LORELEI_OP_CALLBACK_RETURN:
        *sysret = lorelei_op_callback_return(t, a2);
        break;
    case LORELEI_OP_NOP:
        *sysret = 0;
        break;
    case LORELEI_OP_WAIT_CALLBACK:
        *sysret = lorelei_op_wait_callback(t, a2);
        break;
    case LORELEI_OP_LIB_OPEN:
        *sysret = lorelei_op_lib_open(a2);
        break;
    case LORELEI_OP_HELLO:
        *sysret = lorelei_op_hello(a2);
        break;
    default:
        *sysret = -LORELEI_EINVAL;
        break;
    }
    return true;
}

/* Threads may still be parked in the filter while this runs (they are
 * killed by exit_group right after): take no lock they could hold and wait
 * for nothing. */
static LORELEI_ATEXIT_CB(on_exit_plugin)
{
    LORELEI_CB_UNUSED_ID;
    (void)userdata;
    fflush(stderr);
}

/* ---- install --------------------------------------------------------------- */

static bool parse_arg(const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq) {
        lorelei_log("plugin argument '%s' is not key=value", arg);
        return false;
    }
    size_t klen = (size_t)(eq - arg);
    const char *val = eq + 1;
    if (klen == 3 && strncmp(arg, "lib", 3) == 0) {
        const struct lorelei_host_lib *lib = lorelei_lib_by_name(val);
        if (!lib) {
            lorelei_log("unknown thunk library '%s' in lib=%s (this plugin has: %s)", val, val,
                        lorelei_lib_names());
            return false;
        }
        lorelei_opts.enabled_libs |= 1u << lib->id;
        return true;
    }
    if (klen == 7 && strncmp(arg, "verbose", 7) == 0) {
        if (!qemu_plugin_bool_parse("verbose", val, &lorelei_opts.verbose)) {
            lorelei_log("verbose=%s: expected on or off", val);
            return false;
        }
        return true;
    }
    if (klen == 9 && strncmp(arg, "stack_kib", 9) == 0) {
        char *end;
        errno = 0;
        unsigned long kib = strtoul(val, &end, 10);
        if (errno || end == val || *end || kib < MIN_STACK_KIB || kib > MAX_STACK_KIB) {
            lorelei_log("stack_kib=%s: expected a number of KiB from %d to %d", val, MIN_STACK_KIB,
                        MAX_STACK_KIB);
            return false;
        }
        lorelei_opts.coro_stack_size = (size_t)kib << 10;
        return true;
    }
    switch (lorelei_inline_parse_arg(arg, klen, val)) {
    case LORELEI_ARG_OK:
        return true;
    case LORELEI_ARG_BAD:
        return false;
    case LORELEI_ARG_NOT_MINE:
        break;
    }
    lorelei_log("unknown plugin argument '%.*s' (known: lib, stack_kib, verbose, transport, "
                "transport.NAME)",
                (int)klen, arg);
    return false;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    if (info->system_emulation || strcmp(info->target_name, "x86_64") != 0) {
        lorelei_log("liblorelei-plugin.so works with qemu-x86_64 (user mode) only, not %s%s",
                    info->system_emulation ? "system emulation of " : "", info->target_name);
        return -1;
    }
    lorelei_libs_init();
    for (int i = 0; i < argc; i++) {
        if (!parse_arg(argv[i])) {
            return -1;
        }
    }
    lorelei_debug("plugin built for %s, host page size %ld bytes", LORELEI_HOST_ARCH,
                  sysconf(_SC_PAGESIZE));
    /* A thread that exits unwinds its stack, and glibc loads libgcc_s for
     * that the first time it is needed. A guest fork() while some thread
     * (a service thread leaving) is inside that dlopen gives the child a
     * loader caught half-way (ld.so asserts RT_CONSISTENT on its next
     * dlopen). Loading it now closes the window. */
    dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_NODELETE);
    qemu_plugin_register_vcpu_syscall_filter_cb(id, filter, NULL);
    lorelei_inline_install(id);
    lorelei_register_atexit(id, on_exit_plugin);
    return 0;
}
