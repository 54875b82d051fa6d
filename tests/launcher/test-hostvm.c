/* The host's memory layout (host-vm.c): the measurement on this machine, the
 * test overrides, and what doctor says about 16 KiB pages and small address
 * spaces. */
#include "host-vm.h"
#include "testutil.h"

#include <unistd.h>

static void expect_text(const char *text, const char *needle)
{
    if (text == NULL || strstr(text, needle) == NULL) {
        g_error("'%s' lacks '%s'", text ? text : "(null)", needle);
    }
}

static void test_measures_this_host(void)
{
    g_unsetenv("LORELEI_HOST_PAGE_SIZE");
    g_unsetenv("LORELEI_HOST_VA_BITS");
    LoHostVm vm = lo_host_vm();
    g_assert_cmpint(vm.page_size, ==, sysconf(_SC_PAGESIZE));
    /* Every 64-bit Linux host gives user space between 38 (riscv64 sv39)
     * and 57 bits; x86_64 at least 47. */
    g_assert_cmpint(vm.va_bits, >=, 38);
    g_assert_cmpint(vm.va_bits, <=, 57);
#if defined(__x86_64__)
    g_assert_cmpint(vm.va_bits, >=, 47);
#endif
}

static void test_overrides(void)
{
    g_setenv("LORELEI_HOST_PAGE_SIZE", "16384", TRUE);
    g_setenv("LORELEI_HOST_VA_BITS", "39", TRUE);
    LoHostVm vm = lo_host_vm();
    g_assert_cmpint(vm.page_size, ==, 16384);
    g_assert_cmpint(vm.va_bits, ==, 39);
    /* Not a number: the measurement stands. */
    g_setenv("LORELEI_HOST_PAGE_SIZE", "16k", TRUE);
    g_setenv("LORELEI_HOST_VA_BITS", "lots", TRUE);
    vm = lo_host_vm();
    g_assert_cmpint(vm.page_size, ==, sysconf(_SC_PAGESIZE));
    g_assert_cmpint(vm.va_bits, >=, 38);
    g_unsetenv("LORELEI_HOST_PAGE_SIZE");
    g_unsetenv("LORELEI_HOST_VA_BITS");
}

static void test_page_size_verdicts(void)
{
    g_autofree char *detail = NULL, *fix = NULL;
    g_assert_cmpint(lo_page_size_verdict(4096, "10.0.2", &detail, &fix), ==, LO_VERDICT_OK);
    expect_text(detail, "4 KiB, as the x86_64 guest's");
    g_assert_null(fix);
    g_clear_pointer(&detail, g_free);
    g_assert_cmpint(lo_page_size_verdict(16384, "10.0.2", &detail, &fix), ==, LO_VERDICT_WARN);
    expect_text(detail, "16 KiB host pages, 4 KiB guest pages: QEMU 10.0.2 runs them");
    expect_text(detail, "not 16 KiB-aligned are copied (MAP_SHARED ones fail)");
    expect_text(fix, "boot a kernel with 4 KiB pages");
    g_clear_pointer(&detail, g_free);
    g_clear_pointer(&fix, g_free);
    g_assert_cmpint(lo_page_size_verdict(65536, NULL, &detail, &fix), ==, LO_VERDICT_WARN);
    expect_text(detail, "64 KiB host pages, 4 KiB guest pages: QEMU runs them");
    g_clear_pointer(&detail, g_free);
    g_clear_pointer(&fix, g_free);
    /* Before 9.0, QEMU could not run guests with smaller pages than the host's. */
    g_assert_cmpint(lo_page_size_verdict(16384, "8.2.1", &detail, &fix), ==, LO_VERDICT_FAIL);
    expect_text(detail, "QEMU 8.2.1 cannot run a 4 KiB-page guest");
    expect_text(fix, "packaging/qemu/build-qemu.sh");
}

static void test_va_bits_verdicts(void)
{
    g_autofree char *detail = NULL, *fix = NULL;
    g_assert_cmpint(lo_va_bits_verdict(47, &detail, &fix), ==, LO_VERDICT_OK);
    expect_text(detail, "47-bit user address space (128 TiB), as large as x86_64's");
    g_assert_null(fix);
    g_clear_pointer(&detail, g_free);
    g_assert_cmpint(lo_va_bits_verdict(56, &detail, &fix), ==, LO_VERDICT_OK);
    expect_text(detail, "56-bit user address space (64 PiB)");
    g_clear_pointer(&detail, g_free);
    g_assert_cmpint(lo_va_bits_verdict(39, &detail, &fix), ==, LO_VERDICT_WARN);
    expect_text(detail, "39-bit user address space (512 GiB), x86_64 has 47 bits");
    expect_text(detail, "fixed mappings above 512 GiB fail (ENOMEM)");
    expect_text(fix, "CONFIG_ARM64_VA_BITS_48");
    g_clear_pointer(&detail, g_free);
    g_clear_pointer(&fix, g_free);
    g_assert_cmpint(lo_va_bits_verdict(38, &detail, &fix), ==, LO_VERDICT_WARN);
    expect_text(detail, "38-bit user address space (256 GiB)");
    g_clear_pointer(&detail, g_free);
    g_clear_pointer(&fix, g_free);
    g_assert_cmpint(lo_va_bits_verdict(0, &detail, &fix), ==, LO_VERDICT_UNKNOWN);
    expect_text(detail, "could not be measured");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/hostvm/measures-this-host", test_measures_this_host);
    g_test_add_func("/hostvm/overrides", test_overrides);
    g_test_add_func("/hostvm/page-size-verdicts", test_page_size_verdicts);
    g_test_add_func("/hostvm/va-bits-verdicts", test_va_bits_verdicts);
    return g_test_run();
}
