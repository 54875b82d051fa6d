/*
 * The function symbols of a guest ELF file, for naming the code that the
 * profile plugin counts ("20% in libc.so.6: __memmove_avx_unaligned_erms").
 *
 * The files are the game's and its libraries: untrusted input. Every offset,
 * size and count read from them is checked against the buffer, the number
 * of symbols and the length of a name are bounded, and nothing read from a
 * file is ever run, opened as a library or handed to a shell. Only 64-bit
 * little-endian x86_64 files are read (the guest's); anything else gives
 * no symbols, not an error.
 */
#ifndef LORELEI_ELF_SYMBOLS_H
#define LORELEI_ELF_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    ELF_SYMBOLS_MAX = 1 << 20,  /* function symbols kept from one file */
    ELF_SYMBOLS_MAX_NAME = 256, /* longer names are cut (C++ names can be huge) */
    ELF_SYMBOLS_MAX_LOADS = 64, /* PT_LOAD segments read */
    ELF_SYMBOLS_MAX_BUILD_ID = 64,
};

typedef struct ElfSymbols ElfSymbols;

/* Reads an ELF file held in memory: its loadable segments, its build ID and
 * the defined functions (STT_FUNC, STT_GNU_IFUNC, size > 0) of .symtab and
 * .dynsym. Returns NULL for a file that is not a 64-bit little-endian
 * x86_64 ELF file or whose headers lie outside the buffer; a symbol table
 * that is damaged is skipped. The result does not point into data. */
ElfSymbols *elf_symbols_parse(const uint8_t *data, size_t len);

/* Adds the function symbols of a separate debug file of the same build
 * (objcopy --only-keep-debug: the same addresses). Returns how many were
 * added; 0 for a file that is not one. */
size_t elf_symbols_add_debug(ElfSymbols *syms, const uint8_t *data, size_t len);

/* The file's GNU build ID (NT_GNU_BUILD_ID): its length, 0 if it has none. */
size_t elf_symbols_build_id(const ElfSymbols *syms, const uint8_t **id);

/* The address (as linked) of the byte at file offset `offset` in a loadable
 * segment: how a mapping's address and offset in /proc/self/maps become an
 * address the symbols use. False if no loadable segment holds it. */
bool elf_symbols_offset_to_address(const ElfSymbols *syms, uint64_t offset, uint64_t *address);

/* The function whose [start, start + size) holds address: its name, and its
 * start in *start. NULL if no function symbol covers it. */
const char *elf_symbols_lookup(const ElfSymbols *syms, uint64_t address, uint64_t *start);

/* How many function symbols are kept. */
size_t elf_symbols_count(const ElfSymbols *syms);

void elf_symbols_free(ElfSymbols *syms);

/* Reads the file at path (NULL if it cannot be read or is no such ELF
 * file) and, when debug_dir is not NULL and the file has a build ID, the
 * debug file debug_dir/.build-id/NN/NNNN….debug, where Debian's -dbg and
 * -dbgsym packages put them. */
ElfSymbols *elf_symbols_load(const char *path, const char *debug_dir);

#endif
