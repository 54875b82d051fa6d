/* The guest glibc's choice of string functions under QEMU. */
#pragma once

#include <glib.h>

/* glibc picks strcspn, strspn and strpbrk built on SSE4.2's PCMPISTRI when
 * CPUID has SSE4.2; QEMU emulates that instruction with a helper walking
 * the strings byte by byte, 2.5-3.5x slower than glibc's SSE2 versions of
 * the same functions. This tunable makes the guest's glibc choose as if the
 * CPU had no SSE4.2; the game itself still sees it in CPUID. */
#define LO_GUEST_GLIBC_HWCAPS "-SSE4_2"

/* The GLIBC_TUNABLES the game should get, given the one it would get
 * (`existing`, NULL: none): `existing` with glibc.cpu.hwcaps=-SSE4_2 added.
 * NULL when it is to be left as it is: it sets glibc.cpu.hwcaps already
 * (the user's choice, which a second entry would replace), or it has a ','
 * (QEMU's -E splits its argument at commas, so it cannot pass it on). */
char *lo_guest_glibc_tunables(const char *existing);
