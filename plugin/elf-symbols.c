/*
 * The function symbols of a guest ELF file (see elf-symbols.h). Every
 * structure is copied out of the buffer with memcpy after its bounds are
 * checked: the buffer is a file's bytes, with no alignment promised.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r, O_CLOEXEC (the build defines it; a fuzz build may not) */
#endif
#include "elf-symbols.h"

#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct function {
    uint64_t start, size;
    size_t name; /* offset in names */
    int rank;    /* which of several names of one address wins: lower */
};

struct load {
    uint64_t offset, size, address;
};

struct ElfSymbols {
    struct load loads[ELF_SYMBOLS_MAX_LOADS];
    size_t n_loads;
    uint8_t build_id[ELF_SYMBOLS_MAX_BUILD_ID];
    size_t build_id_len;
    struct function *functions;
    size_t n_functions, functions_cap;
    char *names;
    size_t names_len, names_cap;
};

/* [offset, offset + size) lies inside a buffer of len bytes. */
static bool inside(size_t len, uint64_t offset, uint64_t size)
{
    return offset <= len && size <= len - offset;
}

/* The header of a 64-bit little-endian x86_64 ELF file whose program and
 * section header tables lie inside the buffer (either may be absent). */
static bool read_header(const uint8_t *data, size_t len, Elf64_Ehdr *eh)
{
    if (len < sizeof(*eh)) {
        return false;
    }
    memcpy(eh, data, sizeof(*eh));
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_machine != EM_X86_64) {
        return false;
    }
    if (eh->e_phnum && (eh->e_phentsize != sizeof(Elf64_Phdr) ||
                        !inside(len, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)))) {
        return false;
    }
    if (eh->e_shnum && (eh->e_shentsize != sizeof(Elf64_Shdr) ||
                        !inside(len, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr)))) {
        eh->e_shnum = 0; /* no sections: a stripped file may still have its loads */
    }
    return true;
}

static void read_build_id(ElfSymbols *syms, const uint8_t *data, size_t len, uint64_t offset,
                          uint64_t size)
{
    if (!inside(len, offset, size)) {
        return;
    }
    const uint8_t *p = data + offset, *end = p + size;
    while ((size_t)(end - p) >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr nh;
        memcpy(&nh, p, sizeof(nh));
        p += sizeof(nh);
        uint64_t name_len = ((uint64_t)nh.n_namesz + 3) & ~(uint64_t)3;
        uint64_t desc_len = ((uint64_t)nh.n_descsz + 3) & ~(uint64_t)3;
        if (name_len > (size_t)(end - p) || desc_len > (size_t)(end - p) - name_len) {
            return;
        }
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(p, "GNU", 4) == 0 &&
            nh.n_descsz > 0 && nh.n_descsz <= ELF_SYMBOLS_MAX_BUILD_ID) {
            memcpy(syms->build_id, p + name_len, nh.n_descsz);
            syms->build_id_len = nh.n_descsz;
            return;
        }
        p += name_len + desc_len;
    }
}

static void read_segments(ElfSymbols *syms, const uint8_t *data, size_t len, const Elf64_Ehdr *eh)
{
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, data + eh->e_phoff + i * sizeof(ph), sizeof(ph));
        if (ph.p_type == PT_LOAD && syms->n_loads < ELF_SYMBOLS_MAX_LOADS) {
            syms->loads[syms->n_loads++] = (struct load){ph.p_offset, ph.p_filesz, ph.p_vaddr};
        } else if (ph.p_type == PT_NOTE && !syms->build_id_len) {
            read_build_id(syms, data, len, ph.p_offset, ph.p_filesz);
        }
    }
}

/* Copies a name (cut at ELF_SYMBOLS_MAX_NAME - 1 bytes) into the pool;
 * returns its offset, or SIZE_MAX when memory runs out. */
static size_t keep_name(ElfSymbols *syms, const char *name, size_t n)
{
    if (n >= ELF_SYMBOLS_MAX_NAME) {
        n = ELF_SYMBOLS_MAX_NAME - 1;
    }
    if (syms->names_cap - syms->names_len < n + 1) {
        size_t cap = syms->names_cap ? syms->names_cap * 2 : 4096;
        while (cap - syms->names_len < n + 1) {
            cap *= 2;
        }
        char *grown = realloc(syms->names, cap);
        if (!grown) {
            return SIZE_MAX;
        }
        syms->names = grown;
        syms->names_cap = cap;
    }
    size_t at = syms->names_len;
    memcpy(syms->names + at, name, n);
    syms->names[at + n] = '\0';
    syms->names_len += n + 1;
    return at;
}

static bool keep_function(ElfSymbols *syms, uint64_t start, uint64_t size, const char *name,
                          size_t name_len, int rank)
{
    if (syms->n_functions == ELF_SYMBOLS_MAX) {
        return false;
    }
    if (syms->n_functions == syms->functions_cap) {
        size_t cap = syms->functions_cap ? syms->functions_cap * 2 : 256;
        struct function *grown = realloc(syms->functions, cap * sizeof(*grown));
        if (!grown) {
            return false;
        }
        syms->functions = grown;
        syms->functions_cap = cap;
    }
    size_t at = keep_name(syms, name, name_len);
    if (at == SIZE_MAX) {
        return false;
    }
    syms->functions[syms->n_functions++] = (struct function){start, size, at, rank};
    return true;
}

/* The defined functions of one symbol table section (and its string table,
 * section sh_link). A table or string table outside the file, of another
 * entry size, or without contents (a debug file's .dynsym) is skipped. */
static size_t read_symbol_table(ElfSymbols *syms, const uint8_t *data, size_t len,
                                const Elf64_Ehdr *eh, const Elf64_Shdr *table)
{
    if (table->sh_entsize != sizeof(Elf64_Sym) || table->sh_link >= eh->e_shnum ||
        !inside(len, table->sh_offset, table->sh_size)) {
        return 0;
    }
    Elf64_Shdr strings;
    memcpy(&strings, data + eh->e_shoff + table->sh_link * sizeof(strings), sizeof(strings));
    if (strings.sh_type != SHT_STRTAB || !inside(len, strings.sh_offset, strings.sh_size)) {
        return 0;
    }
    const char *names = (const char *)data + strings.sh_offset;
    size_t kept = 0, n = table->sh_size / sizeof(Elf64_Sym);
    for (size_t i = 0; i < n; i++) {
        Elf64_Sym s;
        memcpy(&s, data + table->sh_offset + i * sizeof(s), sizeof(s));
        int type = ELF64_ST_TYPE(s.st_info), bind = ELF64_ST_BIND(s.st_info);
        if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
            s.st_size == 0 || s.st_name == 0 || s.st_name >= strings.sh_size) {
            continue;
        }
        const char *name = names + s.st_name;
        const char *nul = memchr(name, '\0', strings.sh_size - s.st_name);
        if (!nul || nul == name) {
            continue; /* a name running off its table */
        }
        int rank = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
        if (!keep_function(syms, s.st_value, s.st_size, name, (size_t)(nul - name), rank)) {
            break;
        }
        kept++;
    }
    return kept;
}

static size_t read_symbols(ElfSymbols *syms, const uint8_t *data, size_t len, const Elf64_Ehdr *eh)
{
    /* A file has one of each; a crafted one with hundreds of headers naming
     * the same table would otherwise fill memory with copies of it. */
    bool seen_symtab = false, seen_dynsym = false;
    size_t kept = 0;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        Elf64_Shdr sh;
        memcpy(&sh, data + eh->e_shoff + i * sizeof(sh), sizeof(sh));
        bool *seen = sh.sh_type == SHT_SYMTAB   ? &seen_symtab
                     : sh.sh_type == SHT_DYNSYM ? &seen_dynsym
                                                : NULL;
        if (seen && !*seen) {
            *seen = true;
            kept += read_symbol_table(syms, data, len, eh, &sh);
        }
    }
    return kept;
}

static int by_start(const void *a, const void *b, void *names)
{
    const struct function *x = a, *y = b;
    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    if (x->rank != y->rank) {
        return x->rank - y->rank;
    }
    /* memcpy and __memcpy_chk's neighbours: the shorter name reads better. */
    size_t lx = strlen((const char *)names + x->name), ly = strlen((const char *)names + y->name);
    return lx < ly   ? -1
           : lx > ly ? 1
                     : strcmp((const char *)names + x->name, (const char *)names + y->name);
}

/* Sorts by address and keeps one name per address (.symtab and .dynsym
 * name the same functions twice, aliases name them again). */
static void settle(ElfSymbols *syms)
{
    if (!syms->n_functions) {
        return;
    }
    qsort_r(syms->functions, syms->n_functions, sizeof(struct function), by_start, syms->names);
    size_t out = 1;
    for (size_t i = 1; i < syms->n_functions; i++) {
        if (syms->functions[i].start != syms->functions[out - 1].start) {
            syms->functions[out++] = syms->functions[i];
        }
    }
    syms->n_functions = out;
}

ElfSymbols *elf_symbols_parse(const uint8_t *data, size_t len)
{
    Elf64_Ehdr eh;
    if (!data || !read_header(data, len, &eh)) {
        return NULL;
    }
    ElfSymbols *syms = calloc(1, sizeof(*syms));
    if (!syms) {
        return NULL;
    }
    read_segments(syms, data, len, &eh);
    read_symbols(syms, data, len, &eh);
    settle(syms);
    return syms;
}

size_t elf_symbols_add_debug(ElfSymbols *syms, const uint8_t *data, size_t len)
{
    Elf64_Ehdr eh;
    if (!syms || !data || !read_header(data, len, &eh)) {
        return 0;
    }
    size_t kept = read_symbols(syms, data, len, &eh);
    settle(syms);
    return kept;
}

size_t elf_symbols_build_id(const ElfSymbols *syms, const uint8_t **id)
{
    *id = syms->build_id;
    return syms->build_id_len;
}

bool elf_symbols_offset_to_address(const ElfSymbols *syms, uint64_t offset, uint64_t *address)
{
    for (size_t i = 0; i < syms->n_loads; i++) {
        const struct load *l = &syms->loads[i];
        if (offset >= l->offset && offset - l->offset < l->size) {
            *address = l->address + (offset - l->offset);
            return true;
        }
    }
    return false;
}

const char *elf_symbols_lookup(const ElfSymbols *syms, uint64_t address, uint64_t *start)
{
    size_t lo = 0, hi = syms->n_functions; /* the first function starting after address */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (syms->functions[mid].start <= address) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == 0) {
        return NULL;
    }
    const struct function *f = &syms->functions[lo - 1];
    if (address - f->start >= f->size) {
        return NULL;
    }
    *start = f->start;
    return syms->names + f->name;
}

size_t elf_symbols_count(const ElfSymbols *syms)
{
    return syms->n_functions;
}

void elf_symbols_free(ElfSymbols *syms)
{
    if (syms) {
        free(syms->functions);
        free(syms->names);
        free(syms);
    }
}

/* Maps a regular file read-only; NULL for anything else. */
static const uint8_t *map_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    void *p = MAP_FAILED;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= SIZE_MAX) {
        *len = (size_t)st.st_size;
        p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
    }
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

ElfSymbols *elf_symbols_load(const char *path, const char *debug_dir)
{
    size_t len;
    const uint8_t *data = map_file(path, &len);
    if (!data) {
        return NULL;
    }
    ElfSymbols *syms = elf_symbols_parse(data, len);
    munmap((void *)data, len);
    if (!syms || !debug_dir || syms->build_id_len < 2) {
        return syms;
    }
    /* debug_dir/.build-id/ab/cdef….debug: hex digits only, from the ID. */
    char debug_path[4096];
    int n = snprintf(debug_path, sizeof(debug_path), "%s/.build-id/%02x/", debug_dir,
                     syms->build_id[0]);
    for (size_t i = 1; i < syms->build_id_len && n > 0 && (size_t)n < sizeof(debug_path); i++) {
        n += snprintf(debug_path + n, sizeof(debug_path) - (size_t)n, "%02x", syms->build_id[i]);
    }
    if (n > 0 && (size_t)n < sizeof(debug_path) - sizeof(".debug")) {
        memcpy(debug_path + n, ".debug", sizeof(".debug"));
        const uint8_t *debug = map_file(debug_path, &len);
        if (debug) {
            elf_symbols_add_debug(syms, debug, len);
            munmap((void *)debug, len);
        }
    }
    return syms;
}
