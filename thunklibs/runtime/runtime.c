/*
 * liblorelei-guest.so - the x86_64 guest runtime every stub library links.
 *
 * - At load: the version handshake (HELLO), which also lets the plugin
 *   verify guest_base == 0. Not running under the plugin (natively, or plain
 *   qemu-x86_64), the magic syscall fails with ENOSYS: say so and exit.
 * - lorelei_call_slow: a CALL answered with a callback runs it and reports
 *   back (CALLBACK_RETURN), as often as the host asks; errors end the program
 *   with a message, except a function the host library lacks (result 0).
 * - The manager thread and one service thread per host thread that calls
 *   back: they run callbacks from threads the guest never created
 *   (plugin/service.c has the host side).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lorelei-guest.h"

static int active;
static const char *program = "the game";
static _Atomic int manager_tid;

LORELEI_GUEST_API int lorelei_active(void)
{
    return active;
}

static void invoke(const struct lorelei_callback *cb)
{
    ((lorelei_invoker_fn)(uintptr_t)cb->invoker)(cb->fn, (uint64_t *)(uintptr_t)cb->frame);
}

__attribute__((noreturn)) static void fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
static void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("qemu-lorelei: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    _exit(127);
}

static void start_manager(void);

LORELEI_GUEST_API void lorelei_call_slow(int64_t status, uint64_t fn_id)
{
    while (status > 0) {
        const struct lorelei_callback *cb = (const struct lorelei_callback *)(uintptr_t)status;
        if (cb->kind == LORELEI_CB_START_MANAGER) {
            start_manager(); /* first call in a fork child */
        } else {
            invoke(cb);
        }
        status = lorelei_syscall3(LORELEI_OP_CALLBACK_RETURN, (uint64_t)status, 0);
    }
    switch (-status) {
    case 0:
        return;
    case LORELEI_ENOEXEC:
        return; /* the plugin said which function is missing; the result stays 0 */
    case LORELEI_ENOSYS:
        if (active) {
            /* The plugin answered before, so QEMU has unloaded it: the game
             * is exiting (exit_group) and this thread will be gone in a
             * moment. Ending the process here would replace the game's exit
             * status with ours. */
            for (;;) {
                pause();
            }
        }
        fatal("%s called a host function (id %#llx) without the qemu-lorelei plugin", program,
              (unsigned long long)fn_id);
    case LORELEI_EPROTO:
        fatal("callbacks were left out of order (see the message above); cannot continue");
    default:
        fatal("host call %#llx failed with error %lld; this is a qemu-lorelei bug",
              (unsigned long long)fn_id, (long long)-status);
    }
}

LORELEI_GUEST_API char *lorelei_vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        return strdup("(qemu-lorelei: out of memory formatting a message)");
    }
    return s;
}

/* Strings a host library keeps and hands out (glGetString, eglQueryString):
 * host memory, which guest code may read but QEMU refuses in syscalls
 * (write(2) of such a string fails with EFAULT). The guest gets a copy, one
 * per distinct content, kept for the life of the process: the pointer stays
 * valid as long as the library's own would, and asking again is cheap. */
LORELEI_GUEST_API const char *lorelei_guest_string(const char *host)
{
    struct copy {
        struct copy *next;
        uint64_t hash;
        char text[];
    };
    enum { BUCKETS = 64 };
    static struct copy *buckets[BUCKETS];
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    if (!host) {
        return NULL;
    }
    uint64_t hash = 0xcbf29ce484222325ull; /* FNV-1a */
    size_t len = 0;
    for (; host[len]; len++) {
        hash = (hash ^ (unsigned char)host[len]) * 0x100000001b3ull;
    }
    pthread_mutex_lock(&lock);
    struct copy **bucket = &buckets[hash % BUCKETS], *c = *bucket;
    while (c && (c->hash != hash || strcmp(c->text, host) != 0)) {
        c = c->next;
    }
    if (!c && (c = malloc(sizeof(*c) + len + 1))) {
        c->hash = hash;
        memcpy(c->text, host, len + 1);
        c->next = *bucket;
        *bucket = c;
    }
    pthread_mutex_unlock(&lock);
    return c ? c->text : host;
}

/* ---- service threads --------------------------------------------------------- */

static void *service_main(void *arg)
{
    uint64_t channel = (uint64_t)(uintptr_t)arg;
    for (;;) {
        int64_t r = lorelei_syscall3(LORELEI_OP_WAIT_CALLBACK, channel, 0);
        if (r <= 0) {
            if (r == -LORELEI_ENOSYS) {
                lorelei_call_slow(r, 0); /* the game is exiting: waits to be ended */
            }
            fprintf(stderr, "qemu-lorelei: service thread %llu stops (error %lld)\n",
                    (unsigned long long)channel, (long long)-r);
            return NULL;
        }
        const struct lorelei_callback *cb = (const struct lorelei_callback *)(uintptr_t)r;
        bool leave = cb->kind == LORELEI_CB_EXIT_SERVICE;
        if (cb->kind == LORELEI_CB_CALL) {
            invoke(cb);
        }
        lorelei_call_slow(lorelei_syscall3(LORELEI_OP_CALLBACK_RETURN, (uint64_t)r, 0), 0);
        if (leave) {
            return NULL;
        }
    }
}

static int start_detached(void *(*fn)(void *), void *arg)
{
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* Service threads run the game's callbacks: give them a normal stack. */
    pthread_attr_setstacksize(&attr, 1u << 20);
    int err = pthread_create(&thread, &attr, fn, arg);
    pthread_attr_destroy(&attr);
    return err;
}

static void *manager_main(void *arg)
{
    (void)arg;
    atomic_store(&manager_tid, gettid());
    for (;;) {
        int64_t r = lorelei_syscall3(LORELEI_OP_WAIT_CALLBACK, 0, 0);
        if (r <= 0) {
            if (r == -LORELEI_ENOSYS) {
                lorelei_call_slow(r, 0); /* the game is exiting: waits to be ended */
            }
            fprintf(stderr, "qemu-lorelei: callback manager stops (error %lld)\n", (long long)-r);
            return NULL;
        }
        struct lorelei_callback *cb = (struct lorelei_callback *)(uintptr_t)r;
        if (cb->kind == LORELEI_CB_SPAWN_SERVICE) {
            int err = start_detached(service_main, (void *)(uintptr_t)cb->fn);
            *(uint64_t *)(uintptr_t)cb->frame = (uint64_t)err;
        }
        lorelei_call_slow(lorelei_syscall3(LORELEI_OP_CALLBACK_RETURN, (uint64_t)r, 0), 0);
    }
}

/* The manager thread's id, for diagnostics and tests (0 if not running). */
LORELEI_GUEST_API int lorelei_manager_tid(void)
{
    return atomic_load(&manager_tid);
}

static void start_manager(void)
{
    atomic_store(&manager_tid, 0);
    int err = start_detached(manager_main, NULL);
    if (err) {
        fprintf(stderr,
                "qemu-lorelei: cannot start the callback manager thread (%s); "
                "callbacks from host threads (audio, timers) will not run\n",
                strerror(err));
    }
}

/* ---- start-up ----------------------------------------------------------------- */

static void guess_program_name(void)
{
    extern char *program_invocation_short_name;
    if (program_invocation_short_name && *program_invocation_short_name) {
        program = program_invocation_short_name;
    }
}

__attribute__((constructor)) static void lorelei_runtime_init(void)
{
    guess_program_name();
    static struct lorelei_hello hello;
    static volatile uint64_t probe;
    probe = 0x4c6f72656c656921ull ^ (uint64_t)(uintptr_t)&hello;
    hello.abi_version = LORELEI_ABI_VERSION;
    hello.probe_addr = (uint64_t)(uintptr_t)&probe;
    hello.probe_value = probe;
    int64_t r = lorelei_syscall3(LORELEI_OP_HELLO, (uint64_t)(uintptr_t)&hello, 0);
    switch (-r) {
    case 0:
        break;
    case LORELEI_ENOSYS:
        fatal("%s loaded qemu-lorelei's stub libraries (SDL2/OpenGL/Vulkan for the emulated "
              "game), but is not running under qemu-lorelei's QEMU plugin. Start it with: "
              "qemu-lorelei run %s",
              program, program);
    case LORELEI_EFAULT:
        fatal("QEMU does not map guest addresses 1:1 (guest_base != 0), so %s's pointers "
              "cannot be handed to host libraries; the plugin's message above says why. QEMU "
              "moves the guest when given -B/-R or QEMU_GUEST_BASE/QEMU_RESERVED_VA (drop "
              "them: 'qemu-lorelei run' never sets them), or when the game is linked at fixed "
              "addresses that are taken or lie beyond a host address space smaller than "
              "x86_64's; 'qemu-lorelei doctor' shows the host's",
              program);
    default:
        fatal("the plugin refused the handshake: %s",
              hello.message[0] ? hello.message : "(no reason given)");
    }
    active = 1;
    start_manager();
}

/* ---- X11 ------------------------------------------------------------------------ */

/* The host opens its own connection to the same X server (thunklibs/x11/x11_host.c), so
 * what the guest has buffered on its connection must reach the server
 * before the host refers to it. The guest's libX11/libxcb are already loaded
 * when the game has a connection to hand over; found by name, not linked. */
static void *guest_symbol(const char *name)
{
    void *sym = dlsym(RTLD_DEFAULT, name);
    if (!sym) {
        fprintf(stderr,
                "qemu-lorelei: the game passed an X11 connection, but %s is not loaded in "
                "it\n",
                name);
    }
    return sym;
}

LORELEI_GUEST_API void lorelei_x11_flush(void *display)
{
    static _Atomic(void *) cache;
    int (*flush)(void *) =
        display ? (int (*)(void *))lorelei_cached_symbol(&cache, guest_symbol, "XFlush") : NULL;
    if (flush) {
        flush(display);
    }
}

LORELEI_GUEST_API void lorelei_x11_sync(void *display)
{
    static _Atomic(void *) cache;
    int (*sync)(void *, int) =
        display ? (int (*)(void *, int))lorelei_cached_symbol(&cache, guest_symbol, "XSync") : NULL;
    if (sync) {
        sync(display, 0);
    }
}

LORELEI_GUEST_API void lorelei_xcb_flush(void *connection)
{
    static _Atomic(void *) cache;
    int (*flush)(void *) =
        connection ? (int (*)(void *))lorelei_cached_symbol(&cache, guest_symbol, "xcb_flush")
                   : NULL;
    if (flush) {
        flush(connection);
    }
}

LORELEI_GUEST_API void lorelei_lib_open(uint32_t lib_id, uint32_t n_functions, uint64_t api_hash,
                                        const uint64_t *invokers, uint32_t n_invokers,
                                        const char *name, const char *soname)
{
    struct lorelei_lib_open req = {
        .lib_id = lib_id,
        .n_functions = n_functions,
        .api_hash = api_hash,
        .invokers = (uint64_t)(uintptr_t)invokers,
        .n_invokers = n_invokers,
    };
    int64_t r = lorelei_syscall3(LORELEI_OP_LIB_OPEN, (uint64_t)(uintptr_t)&req, 0);
    if (r != 0) {
        fatal("%s needs %s, but the host side of it is unavailable: %s", program, soname,
              req.message[0] ? req.message : name);
    }
}
