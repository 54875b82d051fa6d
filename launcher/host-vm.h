/*
 * The host's memory layout as the x86_64 guest meets it: the page size
 * (x86_64 games expect 4 KiB pages) and the size of the user address space
 * (x86_64 gives a process 47 bits). doctor reports both with what they mean
 * for a game; docs/launcher.md explains the limits.
 */
#pragma once

#include <glib.h>

typedef struct {
    long page_size; /* bytes */
    int va_bits;    /* user address bits; 0 when it could not be measured */
} LoHostVm;

/* Measures the running host. LORELEI_HOST_PAGE_SIZE and LORELEI_HOST_VA_BITS,
 * when set to a number, stand in for the measurement (tests use them to
 * present a 16 KiB-page or 39-bit host). */
LoHostVm lo_host_vm(void);

typedef enum { LO_VERDICT_OK, LO_VERDICT_WARN, LO_VERDICT_FAIL, LO_VERDICT_UNKNOWN } LoVerdict;

/* What a host page size means for a 4 KiB-page x86_64 guest under QEMU
 * `qemu_version` ("10.0.2"; NULL when unknown). *detail says what it is,
 * *fix (WARN/FAIL only, else NULL) what to do. */
LoVerdict lo_page_size_verdict(long page_size, const char *qemu_version, char **detail, char **fix);

/* What a user address space of `va_bits` bits means for an x86_64 guest,
 * which expects 47. */
LoVerdict lo_va_bits_verdict(int va_bits, char **detail, char **fix);
