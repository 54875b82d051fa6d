/*
 * Unit test of plugin/libraries.c's "the host library lacks this function,
 * said once" (lorelei_missing_native): once per function, for every index
 * of a library as large as GL's table (3639 functions), not once per
 * index modulo some table size.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

enum { N_FNS = 4096 };
static struct lorelei_host_fn fns[N_FNS];
static char names[N_FNS][16];
static void *natives[N_FNS];
static const char *const sonames[] = {"libfake.so.1", NULL};
static const struct lorelei_host_lib fake = {
    .id = 3, .name = "fake", .sonames = sonames, .fns = fns, .n_fns = N_FNS, .natives = natives};
const struct lorelei_host_lib *const lorelei_all_libs[] = {&fake};
const uint32_t lorelei_n_all_libs = 1;

/* What libraries.c needs of the rest of the plugin. */
struct lorelei_options lorelei_opts;
static int said[N_FNS];
void lorelei_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    (void)va_arg(ap, const char *); /* lib->name */
    const char *fn = va_arg(ap, const char *);
    va_end(ap);
    int index = -1;
    if (fn && sscanf(fn, "fn%d", &index) == 1 && index >= 0 && index < N_FNS) {
        said[index]++;
    }
}
void lorelei_debug(const char *fmt, ...)
{
    (void)fmt;
}
bool lorelei_host_read(uint64_t addr, void *out, size_t len)
{
    memcpy(out, (const void *)(uintptr_t)addr, len);
    return true;
}
bool lorelei_host_write(uint64_t addr, const void *data, size_t len)
{
    memcpy((void *)(uintptr_t)addr, data, len);
    return true;
}
atomic_bool lorelei_handshake_ok;

int main(void)
{
    for (int i = 0; i < N_FNS; i++) {
        snprintf(names[i], sizeof(names[i]), "fn%d", i);
        fns[i].name = names[i];
    }
    lorelei_libs_init();
    /* Indices that share a word and bit modulo 2048 (and modulo 32, 64). */
    const int calls[] = {5, 5 + 2048, 5, 37, 37 + 2048, 4095, 4095 - 2048, 4095, 3638, 1590};
    int failures = 0;
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        if (lorelei_missing_native(&fake, (uint32_t)calls[i]) != -LORELEI_ENOEXEC) {
            printf("FAIL fn%d: the call is not answered ENOEXEC\n", calls[i]);
            failures++;
        }
    }
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        int n = said[calls[i]];
        if (n != 1) {
            printf("FAIL fn%d reported %d times, not once\n", calls[i], n);
            failures++;
            said[calls[i]] = 1; /* say it once */
        }
    }
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("ok   each missing function reported exactly once, indices up to %d\n", N_FNS - 1);
    return 0;
}
