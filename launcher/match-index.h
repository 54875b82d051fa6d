/*
 * The community layer's match index: which profiles list which executable
 * names and sha256s, written by `profile sync` beside the profiles, so a
 * launch reads only the profiles that can match its game instead of the
 * whole repository (4096 profiles of 64 KiB: 16 s and 400 MiB a launch).
 *
 * The file (.match-index in the community folder) is text in fixed-size
 * records, sorted, searched in place (mmap and binary search):
 *
 *   qemu-lorelei match index 1\n
 *   <key: 64 hex> <kind> <id, padded with spaces to 64>\n     (132 bytes each)
 *
 * key is the sha256 of "exe\0NAME" (kind 'S' when that profile lists
 * sha256s too, '-' when not), of "sha256\0HEX" (kind 's'), or of
 * "sha256-only" (kind 'S', a profile listing sha256s and no name). Keys of
 * fixed length keep the records fixed whatever the names hold. The file is
 * sync's own, but read as untrusted: a record that is not well formed makes
 * the index unusable, and every profile it names is read and checked as
 * usual before it counts.
 */
#pragma once

#include "json-util.h"
#include <glib.h>

#define LO_MATCH_INDEX_FILE ".match-index"

typedef struct LoMatchIndex LoMatchIndex;

/* The index text for these profiles (cJSON*, each valid). */
GBytes *lo_match_index_build(GPtrArray *profiles);

/* Opens dir's index; NULL with error when it is missing (G_FILE_ERROR_NOENT)
 * or not an index (LO_EXIT_INVALID). */
LoMatchIndex *lo_match_index_open(const char *dir, GError **error);

/* The same over bytes in memory (for tests and the fuzzer); data must
 * outlive the index. */
LoMatchIndex *lo_match_index_new(const void *data, gsize size, GError **error);

void lo_match_index_free(LoMatchIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoMatchIndex, lo_match_index_free)

/* Appends (as new strings) the ids of the profiles listing exe name name;
 * *lists_sha256 becomes TRUE when one of them lists sha256s too. FALSE when
 * a record on the way is damaged (then nothing it says can be trusted). */
gboolean lo_match_index_exe(LoMatchIndex *index, const char *name, GPtrArray *ids,
                            gboolean *lists_sha256);

/* Appends the ids of the profiles listing sha256 (64 lowercase hex). */
gboolean lo_match_index_sha256(LoMatchIndex *index, const char *sha256, GPtrArray *ids);

/* Whether some profile lists sha256s without any exe name (then any game
 * may match by sha256). */
gboolean lo_match_index_sha256_only(LoMatchIndex *index, gboolean *any);
