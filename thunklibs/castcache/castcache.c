/*
 * liblorelei-castcache.so: a guest library `qemu-lorelei run` preloads into
 * the game (LD_PRELOAD, in the guest only). It defines __dynamic_cast, the
 * C++ runtime's entry point for dynamic_cast, answers a cast it has seen
 * before from a per-thread cache, and hands every other one to the game's
 * own C++ runtime (libstdc++, or libc++abi), whose answer it then keeps.
 *
 * Why: the profile of SuperTux's play under qemu-lorelei has half of its
 * emulated instructions in libstdc++'s dynamic_cast (its __do_dyncast walks
 * the class hierarchy with virtual calls and compares type names with
 * strcmp), called from the game's collision code many times a frame. A
 * cached answer costs a few dozen emulated instructions.
 *
 * Why a cached answer is the right one. __dynamic_cast(src, src_type,
 * dst_type, hint) reads the vtable pointer of the object at src; the vtable
 * gives the distance to the most derived object and that object's type, and
 * the walk then reads the most derived object's vtable pointer (libstdc++
 * gives up if that vtable names another type: a base under construction)
 * and, for virtual bases, offsets stored in the vtables of the object's
 * parts. Every vtable of a complete object of one type (and every
 * construction vtable of one phase of building one) holds the same offsets,
 * and the object's layout is fixed by its type, so the result's distance
 * from src is fixed by the key (src's vtable pointer, the most derived
 * object's vtable pointer, src_type, dst_type, hint): the same key, the
 * same distance, or null again. What could break that is a library
 * unloaded and another loaded where its vtables were; dlclose is wrapped to
 * empty every cache.
 *
 * Nothing here calls into the game's code: it reads two vtable pointers and
 * one vtable entry, as the real __dynamic_cast does first, and calls the
 * real one.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lorelei/castcache.h"

#define EXPORT __attribute__((visibility("default")))

typedef void *dynamic_cast_fn(const void *src, const void *src_type, const void *dst_type,
                              ptrdiff_t hint);
typedef int dlclose_fn(void *handle);

/* Per thread: 1024 sets of two entries (112 KiB). A game has many cast
 * sites and classes: SuperTuxKart's race casts about 750 000 times a second,
 * and with 256 entries, one to a slot, whether its casts collided depended
 * on where ASLR put its vtables: some runs hit, others missed all along. */
enum { CACHE_SET_BITS = 10, CACHE_SETS = 1 << CACHE_SET_BITS, CACHE_WAYS = 2 };

struct entry {
    const void *src_vtable, *whole_vtable, *src_type, *dst_type;
    ptrdiff_t hint;
    ptrdiff_t delta;     /* result - src */
    uint64_t generation; /* of the caches when kept; 0: empty */
    bool null;           /* the cast failed */
};

struct thread_cache {
    struct entry sets[CACHE_SETS][CACHE_WAYS]; /* way 0: the set's last used */
    uint64_t hits, misses;
};

/* Per thread: no locks, no torn entries. initial-exec: the library is
 * loaded at start-up (LD_PRELOAD), so its TLS is in the static block and
 * reaching it is one %fs-relative access (any other model calls
 * __tls_get_addr on every cast). */
static __thread struct thread_cache tc __attribute__((tls_model("initial-exec")));
/* Bumped by every dlclose; an entry of an older generation is empty. */
static uint64_t generation = 1;
static dynamic_cast_fn *real_dynamic_cast;

/* The C++ runtime's own __dynamic_cast: the next definition after this
 * library (libstdc++, linked by the game), or one in a runtime loaded
 * outside the global scope (a C++ library the game dlopen'ed RTLD_LOCAL). */
static dynamic_cast_fn *find_real(void)
{
    dynamic_cast_fn *f = __atomic_load_n(&real_dynamic_cast, __ATOMIC_ACQUIRE);
    if (f) {
        return f;
    }
    f = (dynamic_cast_fn *)dlvsym(RTLD_NEXT, "__dynamic_cast", "CXXABI_1.3");
    if (!f) {
        f = (dynamic_cast_fn *)dlsym(RTLD_NEXT, "__dynamic_cast");
    }
    static const char *const runtimes[] = {"libstdc++.so.6", "libc++abi.so.1", "libc++.so.1"};
    for (size_t i = 0; !f && i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
        void *h = dlopen(runtimes[i], RTLD_LAZY | RTLD_NOLOAD);
        if (h) {
            f = (dynamic_cast_fn *)dlsym(h, "__dynamic_cast");
            dlclose(h); /* only the reference NOLOAD took */
        }
    }
    if (!f) {
        /* A cast was asked for, so a C++ runtime is loaded; not finding it
         * means guessing, and a wrong answer would corrupt the game. */
        fprintf(stderr, "qemu-lorelei: " LORELEI_CASTCACHE_LIBRARY " cannot find the C++ "
                        "runtime's __dynamic_cast; run the game with --keep-dynamic-cast\n");
        abort();
    }
    __atomic_store_n(&real_dynamic_cast, f, __ATOMIC_RELEASE);
    return f;
}

/* Every bit of the key reaches the slot's bits: vtables and type_info
 * objects are 8-aligned and close together, so a few low bits, or a plain
 * product's top bits, left casts of one loop colliding. */
static size_t slot_of(const void *src_vtable, const void *dst_type, ptrdiff_t hint)
{
    uint64_t h = (uint64_t)(uintptr_t)src_vtable * 0x9e3779b97f4a7c15u +
                 (uint64_t)(uintptr_t)dst_type * 0xc2b2ae3d27d4eb4fu + (uint64_t)hint;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93u;
    h ^= h >> 32;
    return (size_t)h & (CACHE_SETS - 1);
}

EXPORT void *__dynamic_cast(const void *src, const void *src_type, const void *dst_type,
                            ptrdiff_t hint)
{
    /* The vtable's slot -2 is the offset from this part to the most derived
     * object (the Itanium C++ ABI's offset-to-top). */
    const void *src_vtable = *(const void *const *)src;
    ptrdiff_t to_whole = ((const ptrdiff_t *)src_vtable)[-2];
    const void *whole_vtable = *(const void *const *)((const char *)src + to_whole);
    uint64_t now = __atomic_load_n(&generation, __ATOMIC_ACQUIRE);
    struct entry *set = tc.sets[slot_of(src_vtable, dst_type, hint)];
    for (int way = 0; way < CACHE_WAYS; way++) {
        struct entry *e = &set[way];
        if (e->generation == now && e->src_vtable == src_vtable &&
            e->whole_vtable == whole_vtable && e->src_type == src_type && e->dst_type == dst_type &&
            e->hint == hint) {
            if (way != 0) { /* the last used first */
                struct entry hit = *e;
                *e = set[0];
                set[0] = hit;
            }
            tc.hits++;
            return set[0].null ? NULL : (void *)((const char *)src + set[0].delta);
        }
    }
    tc.misses++;
    void *result = find_real()(src, src_type, dst_type, hint);
    set[1] = set[0]; /* the least recently used goes */
    set[0] = (struct entry){.src_vtable = src_vtable,
                            .whole_vtable = whole_vtable,
                            .src_type = src_type,
                            .dst_type = dst_type,
                            .hint = hint,
                            .delta = result ? (const char *)result - (const char *)src : 0,
                            .generation = now,
                            .null = result == NULL};
    return result;
}

EXPORT int dlclose(void *handle)
{
    static dlclose_fn *real_dlclose;
    dlclose_fn *f = __atomic_load_n(&real_dlclose, __ATOMIC_ACQUIRE);
    if (!f) {
        f = (dlclose_fn *)dlsym(RTLD_NEXT, "dlclose");
        __atomic_store_n(&real_dlclose, f, __ATOMIC_RELEASE);
    }
    int status = f(handle);
    /* After the unmapping: no entry kept before it is used after it. */
    __atomic_add_fetch(&generation, 1, __ATOMIC_RELEASE);
    return status;
}

/* The game's environment stays what it was before the cache existed, with
 * no LD_PRELOAD: its children would inherit it, and on an aarch64 host a
 * native child's loader complains about an x86_64 library it cannot load.
 * Only the launcher's own value goes (this library's path alone). Runs
 * before the game's code, with one thread. */
__attribute__((constructor)) static void leave_the_environment_alone(void)
{
    const char *preload = getenv("LD_PRELOAD");
    const char *name = preload ? strrchr(preload, '/') : NULL;
    if (name && strcmp(name + 1, LORELEI_CASTCACHE_LIBRARY) == 0 && !strpbrk(preload, " :")) {
        unsetenv("LD_PRELOAD");
    }
}

/* For tests and benchmarks: the calling thread's hits and misses. */
EXPORT void lorelei_castcache_counts(uint64_t *hit_count, uint64_t *miss_count)
{
    *hit_count = tc.hits;
    *miss_count = tc.misses;
}
