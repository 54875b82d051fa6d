/*
 * What the plugin says when QEMU did not place the guest at guest_base 0
 * (HELLO's check, plugin.c): the likely cause and what to do. Pure text, no
 * QEMU dependency, so tests/plugin-unit checks every wording.
 */
#ifndef LORELEI_GUEST_BASE_H
#define LORELEI_GUEST_BASE_H

#include <stdbool.h>
#include <stddef.h>

/* told: QEMU was given -B/-R or QEMU_GUEST_BASE/QEMU_RESERVED_VA.
 * va_bits: the host's user address bits (include/lorelei/host-va.h), 0 if
 * unknown. Writes one paragraph (no trailing newline) into out. */
void lorelei_guest_base_advice(bool told, int va_bits, char *out, size_t size);

#endif /* LORELEI_GUEST_BASE_H */
