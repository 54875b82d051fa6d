/*
 * libFuzzer target: the profile plugin's ELF symbol reader (elf-symbols.c),
 * which names functions from the game's files and their debug files. Beyond
 * "no read outside the buffer": what it returns keeps its promised limits,
 * and a lookup agrees with itself.
 */
#include "elf-symbols.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Eight input bytes at `at` (wrapping), so that some addresses and offsets
 * tried are ones the input itself names (an e_entry, a p_offset...). */
static uint64_t input_word(const uint8_t *data, size_t size, size_t at)
{
    uint64_t w = 0;
    for (size_t i = 0; i < 8 && size > 0; i++) {
        w |= (uint64_t)data[(at + i) % size] << (8 * i);
    }
    return w;
}

/* A name from lookup: non-empty, NUL-terminated within the cut length, at a
 * start no later than the address; and looking up that start finds the same
 * function (starts are unique once settled). */
static void check_lookup(const ElfSymbols *syms, uint64_t address)
{
    uint64_t start = 0;
    const char *name = elf_symbols_lookup(syms, address, &start);
    if (name == NULL) {
        return;
    }
    if (name[0] == '\0' || memchr(name, '\0', ELF_SYMBOLS_MAX_NAME) == NULL || start > address) {
        abort();
    }
    uint64_t again = 0;
    if (elf_symbols_lookup(syms, start, &again) != name || again != start) {
        abort();
    }
}

static void check(const ElfSymbols *syms, const uint8_t *data, size_t size)
{
    if (elf_symbols_count(syms) > ELF_SYMBOLS_MAX) {
        abort();
    }
    const uint8_t *id = NULL;
    size_t id_len = elf_symbols_build_id(syms, &id);
    if (id_len > ELF_SYMBOLS_MAX_BUILD_ID || (id_len > 0 && id == NULL)) {
        abort();
    }
    /* The ELF header's e_entry and e_phoff, a word from the middle, the
     * last word: values an input controls. */
    uint64_t tries[] = {0,
                        UINT64_MAX,
                        input_word(data, size, 24),
                        input_word(data, size, 32),
                        input_word(data, size, size / 2),
                        input_word(data, size, size > 8 ? size - 8 : 0),
                        0x1000,
                        0x401000};
    for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
        check_lookup(syms, tries[i]);
        check_lookup(syms, tries[i] + 1);
        uint64_t address = 0;
        if (elf_symbols_offset_to_address(syms, tries[i], &address)) {
            check_lookup(syms, address); /* how the profiler looks up */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: ASan then sees a read one byte past the end. */
    uint8_t *copy = malloc(size > 0 ? size : 1);
    memcpy(copy, data, size);
    ElfSymbols *syms = elf_symbols_parse(copy, size);
    if (syms != NULL) {
        check(syms, copy, size);
        if (elf_symbols_count(syms) > 0) {
            /* The same file as its own debug file: every name again, the
             * path that merges into an already settled table. */
            size_t before = elf_symbols_count(syms);
            size_t added = elf_symbols_add_debug(syms, copy, size);
            if (added > ELF_SYMBOLS_MAX || elf_symbols_count(syms) < before) {
                abort(); /* merging never loses an address */
            }
            check(syms, copy, size);
        }
        elf_symbols_free(syms);
    }
    free(copy);
    return 0;
}
