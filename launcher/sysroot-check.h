/*
 * Whether a sysroot can serve x86_64 programs: it holds the x86_64 dynamic
 * loader the programs ask for (/lib64/ld-linux-x86-64.so.2, which QEMU's -L
 * looks up inside the sysroot) and an x86_64 C library. A sysroot made from
 * arm64 packages, or from an archive without libc, used to pass for one
 * until a game failed inside QEMU. doctor reports what this finds.
 */
#pragma once

#include <glib.h>

/* NULL when the sysroot at path looks usable, otherwise what is wrong with
 * it, in a phrase ("no x86_64 C library (libc.so.6); it holds aarch64
 * libraries (lib/aarch64-linux-gnu): …"). */
char *lo_sysroot_problem(const char *path);
