#include "host-vm.h"

#include "lorelei/host-va.h"

#include <stdio.h>
#include <unistd.h>

#define GUEST_PAGE    4096
#define GUEST_VA_BITS 47

static gboolean env_number(const char *name, guint64 min, guint64 max, guint64 *out)
{
    const char *v = g_getenv(name);
    return v != NULL && v[0] != '\0' && g_ascii_string_to_unsigned(v, 10, min, max, out, NULL);
}

LoHostVm lo_host_vm(void)
{
    LoHostVm vm = {sysconf(_SC_PAGESIZE), 0};
    guint64 n;
    if (env_number("LORELEI_HOST_PAGE_SIZE", 1024, 1 << 30, &n)) {
        vm.page_size = (long)n;
    }
    if (env_number("LORELEI_HOST_VA_BITS", 0, 64, &n)) {
        vm.va_bits = (int)n;
    } else {
        vm.va_bits = lorelei_host_va_bits();
    }
    return vm;
}

/* "16 KiB", "64 KiB", "4 KiB" */
static char *size_text(long bytes)
{
    return bytes % 1024 == 0 ? g_strdup_printf("%ld KiB", bytes / 1024)
                             : g_strdup_printf("%ld bytes", bytes);
}

/* "512 GiB", "128 TiB" for 2^bits bytes */
static char *span_text(int bits)
{
    static const char *const units[] = {"GiB", "TiB", "PiB"};
    int unit = MIN((bits - 30) / 10, 2);
    return g_strdup_printf("%llu %s", 1ull << (bits - 30 - 10 * unit), units[unit]);
}

/* QEMU runs guests whose pages are smaller than the host's since 9.0. */
static gboolean qemu_before_9(const char *version)
{
    unsigned major = 0;
    return version != NULL && sscanf(version, "%u.", &major) == 1 && major < 9;
}

LoVerdict lo_page_size_verdict(long page_size, const char *qemu_version, char **detail, char **fix)
{
    g_autofree char *host = size_text(page_size);
    *fix = NULL;
    if (page_size == GUEST_PAGE) {
        *detail = g_strdup("4 KiB, as the x86_64 guest's");
        return LO_VERDICT_OK;
    }
    if (page_size < GUEST_PAGE) {
        *detail =
            g_strdup_printf("%s, smaller than the guest's 4 KiB: QEMU combines host pages", host);
        return LO_VERDICT_OK;
    }
    if (qemu_before_9(qemu_version)) {
        *detail = g_strdup_printf("%s host pages, and QEMU %s cannot run a 4 KiB-page guest on "
                                  "pages larger than its own (QEMU 9.0 and later can)",
                                  host, qemu_version);
        *fix = g_strdup("use the patched QEMU 10.0 (packaging/qemu/build-qemu.sh; unset "
                        "LORELEI_QEMU), or boot a kernel with 4 KiB pages");
        return LO_VERDICT_FAIL;
    }
    *detail = g_strdup_printf("%s host pages, 4 KiB guest pages: QEMU%s%s runs them, but guest "
                              "pages sharing a host page share its protection, and file mappings "
                              "not %s-aligned are copied (MAP_SHARED ones fail)",
                              host, qemu_version != NULL ? " " : "",
                              qemu_version != NULL ? qemu_version : "", host);
    *fix = g_strdup("most games run; if one fails to map a file or needs a guard page to fault, "
                    "boot a kernel with 4 KiB pages where the hardware has one (Raspberry Pi 5: "
                    "kernel=kernel8.img in config.txt); see qemu-lorelei(1), HOST MEMORY LAYOUT");
    return LO_VERDICT_WARN;
}

LoVerdict lo_va_bits_verdict(int va_bits, char **detail, char **fix)
{
    *fix = NULL;
    if (va_bits <= 30) {
        *detail = g_strdup("could not be measured (a kernel older than 4.17?)");
        return LO_VERDICT_UNKNOWN;
    }
    g_autofree char *span = span_text(va_bits);
    if (va_bits >= GUEST_VA_BITS) {
        *detail =
            g_strdup_printf("%d-bit user address space (%s), as large as x86_64's", va_bits, span);
        return LO_VERDICT_OK;
    }
    *detail = g_strdup_printf("%d-bit user address space (%s), x86_64 has 47 bits: guest_base "
                              "stays 0, but fixed mappings above %s fail (ENOMEM) and games "
                              "linked above it do not start",
                              va_bits, span, span);
    *fix = g_strdup("most games run; if one fails to map memory or to start, use a kernel with "
                    "48-bit virtual addresses (aarch64: CONFIG_ARM64_VA_BITS_48; riscv64: sv48, "
                    "on a CPU that has it); see qemu-lorelei(1), HOST MEMORY LAYOUT");
    return LO_VERDICT_WARN;
}
