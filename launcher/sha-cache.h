/*
 * Identifying a game by its sha256 without reading it on every launch: the
 * sha256 of a file is remembered in the user's cache folder
 * ($XDG_CACHE_HOME/qemu-lorelei/sha256-cache) under what identifies one
 * version of one file: device, inode, size, mtime and ctime (which no one
 * can set back: any write or rename of the file changes it). A 1.5 GB game
 * cost 6 s of hashing a launch; now it costs that once per version.
 *
 * The cache is a small text file, one line per file:
 *   DEV INO SIZE MTIME_NS CTIME_NS SHA256
 * at most LO_SHA_CACHE_ENTRIES lines, the most recently used last. It is
 * the user's own file, still read strictly: a line that is not exactly that
 * is ignored.
 */
#pragma once

#include <glib.h>
#include <sys/stat.h>

#define LO_SHA_CACHE_ENTRIES 256

/* The cached sha256 of the file st describes, or NULL. */
char *lo_sha_cache_lookup(const struct stat *st);

/* The same for an open file. */
char *lo_sha256_cached(int fd);

/* Remembers sha256 for the file st describes (errors are ignored: the cache
 * only saves time). */
void lo_sha_cache_store(const struct stat *st, const char *sha256);

/* The sha256 of the open file fd (path for messages): from the cache, else
 * computed (and then cached). When computing takes longer than half a
 * second, says on stderr that the game is being identified, so a big game
 * does not start in silence. */
char *lo_sha256_of_game(int fd, const char *path, GError **error);
