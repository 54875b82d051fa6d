/*
 * x86_64 guest program for the run tests: reports what reached it.
 *
 *   guest_echo [ARGS...]
 * prints "argc N", one "argv[i] VALUE" per argument, one "env KEY=VALUE" per
 * environment variable (sorted), then for each of libSDL2-2.0.so.0,
 * libGL.so.1, libvulkan.so.1, libopenal.so.1, libz.so.1 and
 * libvorbisfile.so.3 "dlopen NAME -> WHO": the stub's marker when the test
 * stub was found first (LD_LIBRARY_PATH), "system" when another copy loaded,
 * "none" when none did, and "cpuid erms N fsrm N": the fast-REP-string
 * features of CPUID leaf 7 the guest sees, and "castcache yes|no": whether the
 * dynamic_cast cache was preloaded (its lorelei_castcache_counts is there).
 * An argument --exit=N makes it exit with N, --kill=N
 * makes it raise signal N at the end.
 */
#include <cpuid.h>
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int compare(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    int status = 0, kill_with = 0;
    printf("argc %d\n", argc);
    char cwd[4096];
    printf("cwd %s\n", getcwd(cwd, sizeof(cwd)) != NULL ? cwd : "?");
    for (int i = 0; i < argc; i++) {
        printf("argv[%d] %s\n", i, argv[i]);
        if (strncmp(argv[i], "--exit=", 7) == 0) {
            status = atoi(argv[i] + 7);
        }
        if (strncmp(argv[i], "--kill=", 7) == 0) {
            kill_with = atoi(argv[i] + 7);
        }
    }
    int n = 0;
    while (environ[n] != NULL) {
        n++;
    }
    qsort(environ, n, sizeof(char *), compare);
    for (int i = 0; i < n; i++) {
        printf("env %s\n", environ[i]);
    }
    const char *libs[] = {"libSDL2-2.0.so.0", "libGL.so.1", "libvulkan.so.1",
                          "libopenal.so.1",   "libz.so.1",  "libvorbisfile.so.3"};
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        void *h = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
        const char *(*marker)(void) =
            h != NULL ? (const char *(*)(void))dlsym(h, "lorelei_test_stub") : NULL;
        printf("dlopen %s -> %s\n", libs[i],
               marker != NULL ? marker()
               : h != NULL    ? "system"
                              : "none");
    }
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    printf("cpuid erms %u fsrm %u\n", (ebx >> 9) & 1, (edx >> 4) & 1);
    printf("castcache %s\n", dlsym(RTLD_DEFAULT, "lorelei_castcache_counts") ? "yes" : "no");
    fflush(stdout);
    if (kill_with != 0) {
        raise(kill_with);
    }
    return status;
}
