/*
 * Small helpers shared by several subcommands: hashing, "did you mean",
 * shell quoting for display, human-readable sizes.
 */
#pragma once

#include <glib.h>

#define LO_SHA256_HEX_LEN 64

/* A file descriptor closed when it goes out of scope (GLib's g_autofd came
 * after Debian 12's GLib 2.74). */
void lo_close_fd(int *fd);
#define lo_autofd __attribute__((cleanup(lo_close_fd)))

/* The lowercase hex sha256 of a file's contents, or NULL with error. */
char *lo_sha256_file(const char *path, GError **error);

/* The same for an open file, read from offset 0 with pread (path: for messages). */
char *lo_sha256_fd(int fd, const char *path, GError **error);

/* The lowercase hex sha256 of a buffer. */
char *lo_sha256_data(const void *data, gsize len);

/* The candidate closest to word by edit distance, if close enough to be a
 * plausible typo; NULL otherwise. candidates is NULL-terminated. */
const char *lo_closest_match(const char *word, const char *const *candidates);

/* Quotes an argument for a POSIX shell only when it needs it, so a printed
 * command can be pasted back: plain words stay plain. One holding control
 * characters is spelled $'...' with \xNN escapes instead of printed raw. */
char *lo_shell_quote(const char *arg);

/* argv joined by spaces, each argument quoted as by lo_shell_quote(). */
char *lo_shell_join(const char *const *argv);

/* For g_ptr_array_sort() of an array of strings. */
int lo_compare_strings(gconstpointer a, gconstpointer b);

/* "12.3 MiB"-style size for tables. */
char *lo_human_size(guint64 bytes);

/* Whether the host this launcher runs on is x86_64 (no sysroot needed). */
gboolean lo_host_is_x86_64(void);

/* The host machine name, e.g. "aarch64" (uname -m). */
const char *lo_host_arch(void);

/* A copy of untrusted text safe to print: control characters (C0, DEL, C1)
 * and bytes of invalid UTF-8 become \xNN or \u{NNNN}, and anything past
 * max_chars (unless negative) is cut with "...". */
char *lo_printable(const char *s, glong max_chars);

/* The same for messages of several lines: newline and tab stay. Everything
 * qemu-lorelei prints that may hold text from outside (errors, warnings,
 * notes) goes through one of the two, so no escape sequence from a file
 * name, a profile or a server reaches the terminal. */
char *lo_printable_text(const char *s);

/* The relative path that leads from folder from to path to (both absolute,
 * normalized lexically): "../lib/x" for /usr/bin -> /usr/lib/x. */
char *lo_relative_path(const char *from, const char *to);
