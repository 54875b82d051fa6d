/* The plugin's guest_base refusal (plugin/guest-base.c): each cause with its
 * fix. The -B case also runs end to end (tests/thunklib, core-guest-base);
 * the others cannot be produced on an x86_64 test host, whose 47-bit address
 * space always has room for the guest's fixed addresses. */
#include "guest-base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed, passed;

static void expect(const char *what, bool told, int va_bits, const char *const *needles)
{
    char out[1024];
    lorelei_guest_base_advice(told, va_bits, out, sizeof(out));
    for (const char *const *n = needles; *n != NULL; n++) {
        if (strstr(out, *n) == NULL) {
            printf("FAIL %s: '%s' lacks '%s'\n", what, out, *n);
            failed++;
            return;
        }
    }
    printf("ok %s\n", what);
    passed++;
}

int main(void)
{
    expect("told with -B/QEMU_GUEST_BASE", true, 39,
           (const char *const[]){"guest_base != 0", "QEMU was told where to put the guest",
                                 "drop them", NULL});
    expect("a 39-bit host", false, 39,
           (const char *const[]){"guest_base != 0", "39-bit address space",
                                 "smaller than x86_64's 47 bits", "position-independent build",
                                 "CONFIG_ARM64_VA_BITS_48", "qemu-lorelei doctor", NULL});
    expect("a riscv64 sv39 host", false, 38,
           (const char *const[]){"38-bit address space", "sv48", NULL});
    expect("a 47-bit host", false, 47,
           (const char *const[]){"linked at fixed addresses that QEMU or the host already use",
                                 "vm.mmap_min_addr", "--no-thunk", NULL});
    expect("an unmeasured host", false, 0,
           (const char *const[]){"linked at fixed addresses that QEMU or the host", NULL});
    char small[40];
    lorelei_guest_base_advice(false, 39, small, sizeof(small));
    if (strlen(small) != sizeof(small) - 1) {
        printf("FAIL a short buffer: '%s' is not cut at its size\n", small);
        failed++;
    } else {
        printf("ok a short buffer is filled, not overrun\n");
        passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
