/*
 * The profile plugin's guest functions: which counter a translated block
 * adds its instructions to. Each guest file has a counter for its code that
 * no symbol names (slot = the file's index); each function a symbol names
 * gets one of its own, up to PROFILE_MAX_NAMED, so the report can say
 * "libc.so.6: __memmove_avx_unaligned_erms 20%" beside "libc.so.6 32%".
 *
 * Not thread-safe: the plugin calls all of it under its lock, at
 * translation and when it writes the report.
 */
#ifndef LORELEI_PROFILE_FUNCTIONS_H
#define LORELEI_PROFILE_FUNCTIONS_H

#include <stdint.h>

enum {
    PROFILE_MAX_FILES = 512,   /* guest files told apart; see profile.c */
    PROFILE_MAX_NAMED = 16384, /* named functions counted apart; the rest count unnamed */
    PROFILE_SLOTS = PROFILE_MAX_FILES + PROFILE_MAX_NAMED,
};

/* Where symbol files are looked for by build ID (DIR/.build-id/NN/….debug);
 * NULL: nowhere. Default "/usr/lib/debug". */
void profile_functions_set_debug_dir(const char *dir);
const char *profile_functions_debug_dir(void);

/* The slot of the block at guest address pc, in file `file` (an index below
 * PROFILE_MAX_FILES, the caller's) named `path`, mapped at region_start from
 * file offset region_offset. The file's symbols are read the first time one of its
 * blocks is translated. */
int profile_function_slot(int file, const char *path, uint64_t region_start, uint64_t region_offset,
                          uint64_t pc);

/* The file a slot counts for, and the function's name (NULL: the file's
 * code that no symbol names). */
int profile_slot_file(int slot);
const char *profile_slot_name(int slot);

/* How many slots are in use (named functions start at PROFILE_MAX_FILES). */
int profile_slots_used(void);

#endif
