/*
 * Finding the game and making sure it is something qemu-x86_64 can run: an
 * x86_64 ELF executable. Anything else gets a message saying what it is.
 */
#pragma once

#include <glib.h>

/* Resolves a program like execvp: a name with a '/' is used as given, a bare
 * name is searched in $PATH. Returns the path to hand to QEMU. */
char *lo_find_program(const char *name, GError **error);

/* TRUE when path is an x86_64 ELF executable or shared object
 * (LO_EXIT_NOT_X86_64 otherwise, naming what it is instead). */
gboolean lo_elf_check_x86_64(const char *path, GError **error);
