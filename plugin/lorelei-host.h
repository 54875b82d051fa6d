/*
 * What generated host thunks (thunkgen's *_host.c) see of the plugin: the
 * table types they fill in and the few runtime calls they make. Everything
 * else in plugin/ is private.
 */
#ifndef LORELEI_HOST_H
#define LORELEI_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lorelei/abi.h"
#include "lorelei/frame.h"

/* A thunk unpacks its arguments from the guest frame, calls `native` (the
 * function's entry in natives[], never NULL) and packs the result. Returns 0
 * or -LORELEI_E*. Functions of the same signature share one thunk. */
typedef int (*lorelei_thunk_fn)(uint64_t *frame, void *native);

enum lorelei_fn_flags {
    /* May call a guest function before returning: runs on a coroutine so
     * the guest can run the callback on this very thread. */
    LORELEI_FN_MAY_CALLBACK = 1u << 0,
    /* May call back only once the library has handed a guest callback to
     * the host (e.g. every GL call after glDebugMessageCallback). */
    LORELEI_FN_CALLBACK_IF_ARMED = 1u << 1,
    /* May wait for other threads or long (buffer swaps, fences, SDL_Delay):
     * never served inline, where a waiting call keeps its vCPU "running"
     * and so holds up every thread that needs exclusive access (fork, a
     * translation-cache flush). The description classifies (thunkgen). */
    LORELEI_FN_BLOCKING = 1u << 2,
};

struct lorelei_host_fn {
    const char *name;
    lorelei_thunk_fn thunk;
    uint32_t flags;
    uint32_t frame_slots; /* the frame's size in slots, results included */
};

/* Number of distinct guest functions each callback signature can stand for
 * at once: every slot is a separate host trampoline, generated. */
#define LORELEI_CALLBACK_SLOTS 64

struct lorelei_callback_sig {
    const char *name;            /* for messages */
    void *const *trampolines;    /* [LORELEI_CALLBACK_SLOTS] host functions */
    _Atomic uint64_t *guest_fns; /* [LORELEI_CALLBACK_SLOTS], 0 = free */
};

struct lorelei_host_lib;

/* Finds the native function for entry `index` after the host library is
 * loaded: dlsym by default; GL and Vulkan add their GetProcAddress. */
typedef void *(*lorelei_resolve_fn)(const struct lorelei_host_lib *lib, void *handle,
                                    const char *name);

struct lorelei_host_lib {
    uint32_t id;                /* LORELEI_FN_LIB() of its function ids */
    const char *name;           /* as in the plugin argument lib=NAME */
    const char *const *sonames; /* host libraries to try, in order; NULL-terminated */
    uint64_t api_hash;          /* of the description; the guest stub must match */
    const struct lorelei_host_fn *fns;
    uint32_t n_fns;
    void **natives; /* [n_fns], filled at LIB_OPEN */
    const struct lorelei_callback_sig *sigs;
    uint32_t n_sigs;
    lorelei_resolve_fn resolve; /* NULL: dlsym */
};

/* All libraries built into the plugin (a generated table). */
extern const struct lorelei_host_lib *const lorelei_all_libs[];
extern const uint32_t lorelei_n_all_libs;

/* ---- calls from generated code ------------------------------------------- */

/* Runs guest function `guest_fn` of callback signature `sig` with the packed
 * frame, on this thread if it is inside a host call made from the guest, or
 * on a guest service thread otherwise (threads the host library created). */
void lorelei_call_guest(const struct lorelei_host_lib *lib, uint32_t sig, uint64_t guest_fn,
                        uint64_t *frame);

/* The host trampoline standing for guest function `guest_fn` (NULL for 0). */
void *lorelei_host_callback(const struct lorelei_host_lib *lib, uint32_t sig, uint64_t guest_fn);

/* Inverse of lorelei_host_callback: the guest function behind a host
 * function pointer the library hands back. 0 if it is not one of ours. */
uint64_t lorelei_guest_callback(const struct lorelei_host_lib *lib, uint32_t sig, void *host_fn);

/* Shadows of identity structs (vtable objects such as SDL_RWops) during a
 * host call: the host works on the shadow, callbacks get the guest's object. */
void lorelei_shadow_push(void *shadow, void *original);
void lorelei_shadow_pop(void *shadow);
void *lorelei_shadow_original(void *p);

/* The calling host thread, as lorelei_serving_host_thread() names it. */
uint64_t lorelei_host_thread_token(void);

/* True when the calling guest thread is running a callback for the host
 * thread `token` names (a service thread inside one of its callbacks): that
 * host thread waits for this one, so this one must never wait for it. */
bool lorelei_serving_host_thread(uint64_t token);

/* A line on stderr, "qemu-lorelei: " first: hand-written host code's word
 * to the user. */
void lorelei_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Reports (once per function) that the host library lacks `name`. */
int lorelei_missing_native(const struct lorelei_host_lib *lib, uint32_t index);

#endif /* LORELEI_HOST_H */
