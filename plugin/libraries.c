/*
 * The thunk libraries built into the plugin, and LIB_OPEN: the guest stub of
 * library L asks for it; the plugin checks L was enabled (lib=NAME), that the
 * stub was generated from the same description, dlopens the host library
 * under one of the sonames its manifest lists - never a name or path the
 * guest chose - and resolves every function of the table once.
 *
 * The stub's invoker table (guest functions that run callbacks) is copied at
 * every LIB_OPEN, not only the first: stubs are linked -z nodelete, so the
 * copy in use stays valid, but a stub built otherwise, or a second copy of
 * it from another file, can be loaded at another address, and the plugin
 * must call the invokers of a copy that is still there.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { MAX_LIBS = 32 }; /* library ids are 1..31 (thunkgen/overrides.py) */

/* A copy of a stub's invoker table. Replaced tables are kept, never freed:
 * a host thread may be reading one (at most one per stub load). */
struct invoker_table {
    struct invoker_table *older;
    uint64_t fns[]; /* guest addresses, one per callback signature */
};

struct lib_state {
    atomic_bool open;
    atomic_bool armed;
    bool tried;
    int error; /* -LORELEI_E* of a failed open, sticky */
    void *handle;
    _Atomic(struct invoker_table *) invokers;
    char message[LORELEI_MESSAGE_SIZE];
};

static struct lib_state states[MAX_LIBS];
/* Error-checking: see fork_prepare. */
static pthread_mutex_t open_lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static bool open_lock_held_for_fork;

/* fork() with another thread inside LIB_OPEN would give the child this lock
 * held by a thread it does not have: the fork waits for the open instead. */
static void fork_prepare(void)
{
    /* Fails (EDEADLK) instead of waiting forever if the forking thread holds
     * it itself: a host library forking in code run under it. */
    open_lock_held_for_fork = pthread_mutex_lock(&open_lock) == 0;
}

static void fork_parent(void)
{
    if (open_lock_held_for_fork) {
        pthread_mutex_unlock(&open_lock);
    }
}

/* The child's thread has another thread id than the one that took it, and
 * an error-checking mutex knows its owner by id: made anew, not unlocked. */
static void fork_child(void)
{
    open_lock = (pthread_mutex_t)PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* Indexed by library id; filled once at install (read-only afterwards). */
static const struct lorelei_host_lib *libs_by_id[MAX_LIBS];
/* A bit per function of each library: its absence was reported. */
static _Atomic uint32_t *reported_missing[MAX_LIBS];

void lorelei_libs_init(void)
{
    for (uint32_t i = 0; i < lorelei_n_all_libs; i++) {
        const struct lorelei_host_lib *lib = lorelei_all_libs[i];
        if (lib->id < MAX_LIBS) {
            libs_by_id[lib->id] = lib;
            reported_missing[lib->id] = calloc(lib->n_fns / 32 + 1, sizeof(uint32_t));
        }
    }
}

const struct lorelei_host_lib *lorelei_lib_by_id(uint64_t id)
{
    return id < MAX_LIBS ? libs_by_id[id] : NULL;
}

const struct lorelei_host_lib *lorelei_lib_by_name(const char *name)
{
    for (uint32_t i = 0; i < lorelei_n_all_libs; i++) {
        if (strcmp(lorelei_all_libs[i]->name, name) == 0) {
            return lorelei_all_libs[i];
        }
    }
    return NULL;
}

const char *lorelei_lib_names(void)
{
    static char names[256];
    if (!names[0]) {
        for (uint32_t i = 0; i < lorelei_n_all_libs; i++) {
            size_t len = strlen(names);
            snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
                     lorelei_all_libs[i]->name);
        }
    }
    return names;
}

static struct lib_state *state_of(const struct lorelei_host_lib *lib)
{
    return &states[lib->id];
}

bool lorelei_lib_is_open(const struct lorelei_host_lib *lib)
{
    return atomic_load_explicit(&state_of(lib)->open, memory_order_acquire);
}

bool lorelei_lib_is_armed(const struct lorelei_host_lib *lib)
{
    return atomic_load_explicit(&state_of(lib)->armed, memory_order_relaxed);
}

void lorelei_lib_arm(const struct lorelei_host_lib *lib)
{
    atomic_store_explicit(&state_of(lib)->armed, true, memory_order_relaxed);
}

uint64_t lorelei_lib_invoker(const struct lorelei_host_lib *lib, uint32_t sig)
{
    struct invoker_table *t = atomic_load_explicit(&state_of(lib)->invokers, memory_order_acquire);
    return sig < lib->n_sigs && t ? t->fns[sig] : 0;
}

int lorelei_missing_native(const struct lorelei_host_lib *lib, uint32_t index)
{
    /* Without its bitmap (out of memory at install) every call says it. */
    _Atomic uint32_t *reported = reported_missing[lib->id];
    uint32_t bit = 1u << (index % 32);
    if (!reported || !(atomic_fetch_or(&reported[index / 32], bit) & bit)) {
        lorelei_log("%s: the game called %s, which the host's %s does not provide; "
                    "the call returns 0",
                    lib->name, lib->fns[index].name, lib->sonames[0]);
    }
    return -LORELEI_ENOEXEC;
}

/* A function the host library lacked when it was opened may appear later
 * (GLVND: a GLX extension function once a vendor library is loaded), so a
 * call to a missing one looks again. Calls of a function that stays missing
 * pay one lookup each; they do nothing anyway. */
void *lorelei_lib_resolve_late(const struct lorelei_host_lib *lib, uint32_t index)
{
    void *handle = state_of(lib)->handle;
    const char *name = lib->fns[index].name;
    void *native = lib->resolve ? lib->resolve(lib, handle, name) : dlsym(handle, name);
    if (native) {
        __atomic_store_n(&lib->natives[index], native, __ATOMIC_RELAXED);
        lorelei_debug("%s: %s resolved on its first call", lib->name, name);
    }
    return native;
}

static int fail(struct lib_state *st, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct lib_state *st, int error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->message, sizeof(st->message), fmt, ap);
    va_end(ap);
    st->error = error;
    lorelei_log("%s", st->message);
    return error;
}

/* Load the host library and resolve its table. Called once, under open_lock. */
static int load(const struct lorelei_host_lib *lib, struct lib_state *st)
{
    char errors[LORELEI_MESSAGE_SIZE / 2] = "";
    const char *loaded = NULL;
    for (const char *const *so = lib->sonames; *so && !st->handle; so++) {
        st->handle = dlopen(*so, RTLD_NOW | RTLD_LOCAL);
        if (st->handle) {
            loaded = *so;
        } else if (!errors[0]) {
            snprintf(errors, sizeof(errors), "%s", dlerror());
        }
    }
    if (!st->handle) {
        return fail(st, -LORELEI_ENOLINK,
                    "%s: cannot load the host library %s (%s). Install the host's %s package, "
                    "or run the game with this thunk off (qemu-lorelei run --no-thunk %s)",
                    lib->name, lib->sonames[0], errors, lib->sonames[0], lib->name);
    }
    uint32_t missing = 0;
    for (uint32_t i = 0; i < lib->n_fns; i++) {
        lib->natives[i] = lib->resolve ? lib->resolve(lib, st->handle, lib->fns[i].name)
                                       : dlsym(st->handle, lib->fns[i].name);
        missing += lib->natives[i] == NULL;
    }
    /* The file the loader chose: which architecture's library (multiarch
     * hosts have several) and which copy of it the game's calls reach. */
    struct link_map *map = NULL;
    const char *path = dlinfo(st->handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name[0]
                           ? map->l_name
                           : "(path unknown)";
    lorelei_debug("%s: loaded %s, %u of %u functions resolved, from %s", lib->name, loaded,
                  lib->n_fns - missing, lib->n_fns, path);
    atomic_store_explicit(&st->open, true, memory_order_release);
    return 0;
}

/* Installs the invoker table of the stub that is asking, unless the one in
 * use is the same. Under open_lock. */
static int take_invokers(const struct lorelei_host_lib *lib, struct lib_state *st,
                         struct lorelei_lib_open *req)
{
    size_t size = sizeof(struct invoker_table) + (size_t)lib->n_sigs * sizeof(uint64_t);
    struct invoker_table *t = calloc(1, size);
    if (!t) {
        snprintf(req->message, sizeof(req->message), "%s: out of memory", lib->name);
        return -LORELEI_ENOLINK;
    }
    if (lib->n_sigs && !lorelei_host_read(req->invokers, t->fns, lib->n_sigs * sizeof(uint64_t))) {
        free(t);
        snprintf(req->message, sizeof(req->message),
                 "%s: the stub's invoker table at %#llx is not readable", lib->name,
                 (unsigned long long)req->invokers);
        return -LORELEI_EFAULT;
    }
    struct invoker_table *cur = atomic_load(&st->invokers);
    if (cur && memcmp(cur->fns, t->fns, lib->n_sigs * sizeof(uint64_t)) == 0) {
        free(t);
        return 0;
    }
    if (cur) {
        lorelei_debug("%s: the stub was loaded again at another address; its callbacks go to "
                      "the new copy",
                      lib->name);
    }
    t->older = cur;
    atomic_store_explicit(&st->invokers, t, memory_order_release);
    return 0;
}

static int open_library(struct lorelei_lib_open *req)
{
    const struct lorelei_host_lib *lib = lorelei_lib_by_id(req->lib_id);
    if (!lib) {
        snprintf(req->message, sizeof(req->message),
                 "this plugin has no thunk library with id %u (it has: %s); the guest stub "
                 "comes from another qemu-lorelei build",
                 req->lib_id, lorelei_lib_names());
        return -LORELEI_ENOENT;
    }
    struct lib_state *st = state_of(lib);
    int status;
    pthread_mutex_lock(&open_lock);
    if (!(lorelei_opts.enabled_libs & (1u << lib->id))) {
        status = -LORELEI_ENOLINK;
        snprintf(req->message, sizeof(req->message),
                 "the game loaded qemu-lorelei's %s stub, but the plugin was started without "
                 "lib=%s (qemu-lorelei run enables it unless the profile or --no-thunk turns "
                 "it off)",
                 lib->name, lib->name);
    } else if (req->api_hash != lib->api_hash || req->n_functions != lib->n_fns ||
               req->n_invokers != lib->n_sigs) {
        status = -LORELEI_EPROTO;
        snprintf(req->message, sizeof(req->message),
                 "%s: the guest stub (%u functions, description %016llx) and the plugin (%u "
                 "functions, description %016llx) come from different builds; reinstall "
                 "qemu-lorelei",
                 lib->name, req->n_functions, (unsigned long long)req->api_hash, lib->n_fns,
                 (unsigned long long)lib->api_hash);
    } else {
        if (!st->tried) {
            st->tried = true;
            st->error = load(lib, st);
        }
        status = st->error;
        if (status) {
            snprintf(req->message, sizeof(req->message), "%s", st->message);
        } else {
            status = take_invokers(lib, st, req);
        }
    }
    pthread_mutex_unlock(&open_lock);
    return status;
}

int64_t lorelei_op_lib_open(uint64_t guest_request)
{
    /* Before the handshake nothing says guest addresses are host addresses
     * (guest_base == 0): touch no guest memory. */
    if (!atomic_load_explicit(&lorelei_handshake_ok, memory_order_acquire)) {
        lorelei_log("the guest asked to open a thunk library before the handshake (HELLO) "
                    "succeeded, so its pointers cannot be used; refused. The stub libraries "
                    "do the handshake first (liblorelei-guest.so); a program issuing the "
                    "magic syscall itself must send HELLO first");
        return -LORELEI_EPROTO;
    }
    struct lorelei_lib_open req;
    if (!lorelei_host_read(guest_request, &req, sizeof(req))) {
        lorelei_log("LIB_OPEN with a request at %#llx the guest cannot read; refused",
                    (unsigned long long)guest_request);
        return -LORELEI_EFAULT;
    }
    req.message[0] = '\0';
    int status = open_library(&req);
    if (req.message[0]) {
        lorelei_host_write(guest_request + offsetof(struct lorelei_lib_open, message), req.message,
                           strlen(req.message) + 1);
    }
    return status;
}
