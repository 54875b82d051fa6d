/*
 * Stands in for liblorelei-preload.so in the run tests: when loaded into a
 * process (QEMU, through LD_PRELOAD) it appends that process's name to the
 * file LORELEI_TEST_PRELOAD_LOG names. The guest program must never appear
 * there: -U LD_PRELOAD keeps the shim out of the guest.
 */
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void announce(void)
{
    const char *path = getenv("LORELEI_TEST_PRELOAD_LOG");
    if (path == NULL) {
        return;
    }
    FILE *log = fopen(path, "a");
    if (log == NULL) {
        return;
    }
    char name[256] = "?";
    FILE *comm = fopen("/proc/self/comm", "r");
    if (comm != NULL) {
        if (fgets(name, sizeof(name), comm) == NULL) {
            name[0] = '\0';
        }
        fclose(comm);
    }
    fprintf(log, "loaded into %s", name);
    fclose(log);
}
