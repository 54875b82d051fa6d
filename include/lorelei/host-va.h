/*
 * The size of this host's user address space, measured: used by the
 * launcher (doctor) and by the plugin (to say why QEMU moved the guest).
 *
 * It is measured rather than read from /proc/cpuinfo because what counts is
 * what the kernel lets a process map, not what the CPU could address: x86's
 * "address sizes: 48 bits virtual" means 47 bits for user space (56 with
 * 5-level paging), aarch64's cpuinfo has no such line and its kernels are
 * built for 39, 42, 47/48 or 52 bits, and riscv64's "mmu: sv39" leaves the
 * user half (38 bits) implicit. A one-page PROT_NONE mapping just below 2^bits
 * (MAP_FIXED_NOREPLACE, which a kernel rejects above its user limit) answers
 * exactly, the same way on every architecture, in at most 26 mmap calls.
 */
#ifndef LORELEI_HOST_VA_H
#define LORELEI_HOST_VA_H

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The number of address bits user space can map (47 on x86_64 with 4-level
 * paging, 39 on a 39-bit aarch64 kernel, 38 on riscv64 sv39), or 0 if it
 * could not be measured (a kernel older than 4.17 ignores
 * MAP_FIXED_NOREPLACE and treats the address as a hint). */
static inline int lorelei_host_va_bits(void)
{
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) {
        return 0;
    }
    for (int bits = 57; bits >= 32; bits--) {
        /* The last page below 2^bits is sometimes reserved (x86 keeps one
         * guard page under 2^47), so try the one below it. */
        uintptr_t addr = ((uintptr_t)1 << bits) - 2 * (uintptr_t)page;
        void *p = mmap((void *)addr, (size_t)page, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == (void *)addr) {
            munmap(p, (size_t)page);
            return bits;
        }
        if (p == MAP_FAILED && errno == EEXIST) {
            return bits; /* already mapped: within the address space */
        }
        if (p != MAP_FAILED) {
            munmap(p, (size_t)page); /* placed elsewhere: taken as a hint */
        }
    }
    return 0;
}

#endif /* LORELEI_HOST_VA_H */
