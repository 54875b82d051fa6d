#include "guest-base.h"

#include <stdio.h>

/* x86_64 gives a process 47 address bits. */
#define GUEST_VA_BITS 47

void lorelei_guest_base_advice(bool told, int va_bits, char *out, size_t size)
{
    int n = snprintf(out, size,
                     "QEMU does not map guest addresses 1:1 to host addresses (guest_base != 0), "
                     "so pointers cannot be shared with host libraries. ");
    if (n < 0 || (size_t)n >= size) {
        return;
    }
    out += n;
    size -= (size_t)n;
    if (told) {
        snprintf(out, size,
                 "QEMU was told where to put the guest (-B or -R, or QEMU_GUEST_BASE or "
                 "QEMU_RESERVED_VA): drop them; 'qemu-lorelei run' never sets them, and "
                 "qemu-x86_64 picks guest_base 0 by itself");
    } else if (va_bits > 30 && va_bits < GUEST_VA_BITS) {
        snprintf(out, size,
                 "This host gives a process a %d-bit address space, smaller than x86_64's 47 "
                 "bits, and the game is linked at fixed addresses that are taken or do not fit "
                 "in it, so QEMU moved it. Use the game's position-independent build if it has "
                 "one, or a kernel with 48-bit virtual addresses (aarch64: "
                 "CONFIG_ARM64_VA_BITS_48; riscv64: sv48); 'qemu-lorelei doctor' shows the "
                 "address space",
                 va_bits);
    } else {
        snprintf(out, size,
                 "The game is linked at fixed addresses that QEMU or the host already use "
                 "(below vm.mmap_min_addr, or where QEMU itself is mapped), so QEMU moved it. "
                 "Run 'qemu-lorelei doctor'; if its guest_base check passes, this game cannot "
                 "run with forwarded libraries (--no-thunk sdl2 --no-thunk gl --no-thunk vulkan "
                 "runs it without them)");
    }
}
