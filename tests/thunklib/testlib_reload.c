/*
 * x86_64 guest program: loads liblorelei-testlib with dlopen (the path is
 * the argument), calls back through it on its own thread and from a host
 * thread, dlcloses it, and again, N times. After each dlclose it maps
 * inaccessible memory over whatever the library occupied, if it was
 * unloaded, so the next dlopen maps it elsewhere and code still used from
 * the old copy faults at once.
 *
 *   testlib_reload PATH N     prints "cycles=K of N" and "info reserved=R"
 */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "testlib.h"

static int add_cb(int a, int b, void *user)
{
    (void)user;
    return a * 10 + b;
}

enum { MAX_RANGES = 16 };
static struct range {
    uintptr_t start;
    size_t len;
} ranges[MAX_RANGES];
static int n_ranges;

static int note_ranges(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    if (!strstr(info->dlpi_name, "liblorelei-testlib")) {
        return 0;
    }
    uintptr_t page = 4096;
    for (int i = 0; i < info->dlpi_phnum && n_ranges < MAX_RANGES; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD) {
            uintptr_t start = (info->dlpi_addr + ph->p_vaddr) & ~(page - 1);
            uintptr_t end = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
            ranges[n_ranges++] = (struct range){start, end - start};
        }
    }
    return 0;
}

static int reserve_freed(void)
{
    int reserved = 0;
    for (int i = 0; i < n_ranges; i++) {
        void *p = mmap((void *)ranges[i].start, ranges[i].len, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        reserved += p == (void *)ranges[i].start;
    }
    n_ranges = 0;
    return reserved;
}

static int cycle(const char *path, int i)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 0;
    }
    __typeof__(&tl_apply) apply = (__typeof__(&tl_apply))dlsym(h, "tl_apply");
    __typeof__(&tl_run_in_thread) in_thread =
        (__typeof__(&tl_run_in_thread))dlsym(h, "tl_run_in_thread");
    int ok = apply && in_thread && apply(add_cb, i, 2, NULL) == i * 10 + 2 &&
             in_thread(add_cb, i, 3, NULL) == i * 10 + 3;
    dl_iterate_phdr(note_ranges, NULL);
    dlclose(h);
    return ok;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: testlib_reload PATH N\n");
        return 2;
    }
    int n = atoi(argv[2]), ok = 0, reserved = 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 0; i < n; i++) {
        ok += cycle(argv[1], i);
        reserved += reserve_freed();
    }
    printf("cycles=%d of %d\n", ok, n);
    printf("info reserved=%d\n", reserved);
    return 0;
}
