/*
 * Finding the game and making sure it is something qemu-x86_64 can run: an
 * x86_64 ELF executable. Anything else gets a message saying what it is.
 */
#pragma once

#include <glib.h>

/* Resolves a program like execvp: a name with a '/' is used as given, a bare
 * name is searched in $PATH. Returns the path to hand to QEMU. */
char *lo_find_program(const char *name, GError **error);

/* Opens a program for reading, once: what is checked, hashed and run must
 * be the same file, whatever takes its name meanwhile. Never blocks (a FIFO
 * in its place is refused); the descriptor is close-on-exec. -1 with error. */
int lo_open_program(const char *path, GError **error);

/* TRUE when path is an x86_64 ELF executable or shared object
 * (LO_EXIT_NOT_X86_64 otherwise, naming what it is instead). */
gboolean lo_elf_check_x86_64(const char *path, GError **error);

/* The same for a program opened with lo_open_program() (path: for messages). */
gboolean lo_elf_check_x86_64_fd(int fd, const char *path, GError **error);
