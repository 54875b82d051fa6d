/*
 * The profile plugin's guest functions (see profile-functions.h).
 *
 * A block is named by the function symbol covering its first instruction,
 * from the guest file's .symtab and .dynsym and, when one is installed, its
 * separate debug file (Debian's libc6-dbg names libc's string functions,
 * which its .dynsym does not). The address a symbol uses is the file offset
 * of the block (the mapping's offset plus the block's distance from the
 * mapping's start) turned into a linked address through the file's loadable
 * segments: that holds whether the file was mapped at its linked address
 * or anywhere else.
 */
#include "profile-functions.h"

#include <glib.h>
#include <stdbool.h>

#include "elf-symbols.h"

static const char *debug_dir = "/usr/lib/debug";
/* Per file: its symbols once read (NULL: none to read), and whether read. */
static ElfSymbols *file_symbols[PROFILE_MAX_FILES];
static bool file_read[PROFILE_MAX_FILES];
/* Named slots: their file and name; slot_of maps (file, start) to a slot. */
static int named_file[PROFILE_MAX_NAMED];
static char *named_name[PROFILE_MAX_NAMED];
static int n_named;
static GHashTable *slot_of;

void profile_functions_set_debug_dir(const char *dir)
{
    debug_dir = dir;
}

const char *profile_functions_debug_dir(void)
{
    return debug_dir;
}

/* One key per function of one file: guest addresses are below 2^48. */
static uint64_t key_of(int file, uint64_t start)
{
    return (start & ((UINT64_C(1) << 48) - 1)) | (uint64_t)file << 48;
}

int profile_function_slot(int file, const char *path, uint64_t region_start, uint64_t region_offset,
                          uint64_t pc)
{
    if (!file_read[file]) {
        file_read[file] = true;
        file_symbols[file] = elf_symbols_load(path, debug_dir);
    }
    uint64_t address, start;
    const char *name;
    if (!file_symbols[file] ||
        !elf_symbols_offset_to_address(file_symbols[file], pc - region_start + region_offset,
                                       &address) ||
        !(name = elf_symbols_lookup(file_symbols[file], address, &start))) {
        return file;
    }
    if (!slot_of) {
        slot_of = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    }
    uint64_t key = key_of(file, start);
    gpointer found;
    if (g_hash_table_lookup_extended(slot_of, &key, NULL, &found)) {
        return GPOINTER_TO_INT(found);
    }
    if (n_named == PROFILE_MAX_NAMED) {
        return file; /* named past the limit: counted as the file's unnamed code */
    }
    int slot = PROFILE_MAX_FILES + n_named;
    named_file[n_named] = file;
    named_name[n_named] = g_strdup(name);
    n_named++;
    g_hash_table_insert(slot_of, g_memdup2(&key, sizeof(key)), GINT_TO_POINTER(slot));
    return slot;
}

int profile_slot_file(int slot)
{
    return slot < PROFILE_MAX_FILES ? slot : named_file[slot - PROFILE_MAX_FILES];
}

const char *profile_slot_name(int slot)
{
    return slot < PROFILE_MAX_FILES ? NULL : named_name[slot - PROFILE_MAX_FILES];
}

int profile_slots_used(void)
{
    return PROFILE_MAX_FILES + n_named;
}
