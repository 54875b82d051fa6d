/*
 * x86_64 guest program that loads liblorelei-testlib with dlopen (by path:
 * it is not linked with it, nor with the guest runtime).
 *
 *   testlib_dlopen reload PATH N
 *       calls back through the library on its own thread and from a host
 *       thread, dlcloses it, and again, N times. After each dlclose it maps
 *       inaccessible memory over whatever the library occupied, if it was
 *       unloaded, so the next dlopen maps it elsewhere and code still used
 *       from the old copy faults at once. Prints "cycles=K of N" and
 *       "info reserved=R".
 *   testlib_dlopen fork-while-loading PATH
 *       forks while another thread is loading the library (the plugin's
 *       LIB_OPEN; the test makes the host library slow to load); the child
 *       then asks the plugin for a library itself. Prints "child_lib_open=R"
 *       (the child's LIB_OPEN result) or "child_hung=1".
 *   testlib_dlopen lib-open-first
 *       issues LIB_OPEN itself before any handshake (the plugin must refuse
 *       it: nothing has checked that guest pointers are host pointers), then
 *       HELLO, then LIB_OPEN again, and one with an unreadable request.
 *       Prints one "name=result" line for each.
 */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lorelei-guest.h" /* only its inline syscall */
#include "lorelei-libs.h"  /* generated: the test plugin's libraries */
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

static int reload(const char *path, int n)
{
    int ok = 0, reserved = 0;
    for (int i = 0; i < n; i++) {
        ok += cycle(path, i);
        reserved += reserve_freed();
    }
    printf("cycles=%d of %d\n", ok, n);
    printf("info reserved=%d\n", reserved);
    return 0;
}

static void *load(void *path)
{
    return dlopen(path, RTLD_NOW | RTLD_LOCAL);
}

static int fork_while_loading(const char *path)
{
    pthread_t loader;
    pthread_create(&loader, NULL, load, (void *)path);
    usleep(500000); /* the loader is inside the plugin's LIB_OPEN by now */
    pid_t pid = fork();
    if (pid == 0) {
        /* Library 1 (testlib), with a description hash that is wrong on
         * purpose: the plugin takes its library lock, then refuses. */
        struct lorelei_lib_open req = {.lib_id = 1};
        long r = (long)lorelei_syscall3(LORELEI_OP_LIB_OPEN, (uint64_t)(uintptr_t)&req, 0);
        printf("child_lib_open=%ld\n", r);
        fflush(stdout);
        _exit(0);
    }
    int status = 0, waited = 0;
    for (int ms = 0; ms < 10000 && !(waited = waitpid(pid, &status, WNOHANG)); ms += 10) {
        usleep(10000);
    }
    if (!waited) {
        printf("child_hung=1\n");
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    void *handle = NULL;
    pthread_join(loader, &handle);
    printf("loaded=%d\n", handle != NULL);
    return 0;
}

static long lib_open(const struct lorelei_lib_info *lib, struct lorelei_lib_open *req)
{
    static uint64_t invokers[64];
    *req = (struct lorelei_lib_open){.lib_id = lib->id,
                                     .n_functions = lib->n_functions,
                                     .api_hash = lib->api_hash,
                                     .invokers = (uint64_t)(uintptr_t)invokers,
                                     .n_invokers = lib->n_sigs};
    return (long)lorelei_syscall3(LORELEI_OP_LIB_OPEN, (uint64_t)(uintptr_t)req, 0);
}

static int lib_open_first(void)
{
    const struct lorelei_lib_info *testlib = &lorelei_libs[0];
    static struct lorelei_lib_open req;
    printf("before_hello=%ld\n", lib_open(testlib, &req));
    static struct lorelei_hello hello;
    static volatile uint64_t probe = 0x746573746c6962ull;
    hello.abi_version = LORELEI_ABI_VERSION;
    hello.probe_addr = (uint64_t)(uintptr_t)&probe;
    hello.probe_value = probe;
    printf("hello=%ld\n", (long)lorelei_syscall3(LORELEI_OP_HELLO, (uint64_t)(uintptr_t)&hello, 0));
    printf("after_hello=%ld\n", lib_open(testlib, &req));
    printf("unreadable=%ld\n", (long)lorelei_syscall3(LORELEI_OP_LIB_OPEN, 16, 0));
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 4 && strcmp(argv[1], "reload") == 0) {
        return reload(argv[2], atoi(argv[3]));
    }
    if (argc == 3 && strcmp(argv[1], "fork-while-loading") == 0) {
        return fork_while_loading(argv[2]);
    }
    if (argc == 2 && strcmp(argv[1], "lib-open-first") == 0) {
        return lib_open_first();
    }
    fprintf(stderr, "usage: see the comment at the top of testlib_dlopen.c\n");
    return 2;
}
