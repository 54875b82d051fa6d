/*
 * What is mounted where, from /proc/self/mountinfo. Comparing st_dev finds
 * another file system inside a tree, but not a bind mount of the same one:
 * deleting through that would delete the bind mount's source. The mount
 * table sees both.
 */
#pragma once

#include <glib.h>

/* The mount points at path or below it (path resolved with realpath()),
 * sorted; an empty array when there are none or the table cannot be read. */
GPtrArray *lo_mounts_under(const char *path);

/* Decodes a mount point as mountinfo spells it (space, tab, newline and
 * backslash as \ooo octal escapes). Exposed for tests. */
char *lo_mountinfo_unescape(const char *field);

/* The mount points of a mountinfo text (its fifth field), in order. Exposed
 * for tests. */
GPtrArray *lo_mountinfo_points(const char *text);
