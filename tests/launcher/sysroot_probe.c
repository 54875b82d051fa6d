/*
 * x86_64 guest program for the sysroot tests: a dynamically linked program
 * that shows where its libraries came from.
 *
 *   sysroot_probe [LIBRARY...]
 * dlopens each library (e.g. libz.so.1), prints "dlopen NAME ok" or
 * "dlopen NAME failed: WHY", then one "mapped PATH" line per shared object
 * in /proc/self/maps. Under qemu-x86_64 -L SYSROOT those are the host paths
 * QEMU opened, so a test can tell the sysroot's libraries from the host's.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        void *h = dlopen(argv[i], RTLD_NOW);
        if (h != NULL) {
            printf("dlopen %s ok\n", argv[i]);
        } else {
            printf("dlopen %s failed: %s\n", argv[i], dlerror());
        }
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[4096];
    while (maps != NULL && fgets(line, sizeof(line), maps) != NULL) {
        char *path = strchr(line, '/');
        if (path != NULL && strstr(path, ".so") != NULL) {
            printf("mapped %s", path);
        }
    }
    return maps != NULL ? 0 : 1;
}
