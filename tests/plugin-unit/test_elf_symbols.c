/* The profile plugin's ELF symbol reader (plugin/elf-symbols.c). Its inputs
 * are x86_64 files, but this test also runs on aarch64 hosts, whose own
 * binaries are not: every file here is assembled in memory from <elf.h>'s
 * structures (the hosts are all little-endian, as the files must be). */
#define _POSIX_C_SOURCE 200809L /* mkdtemp */
#include "elf-symbols.h"

#include <elf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failed, passed;

#define CHECK(cond) check((cond), #cond, __LINE__)

static void check(bool ok, const char *what, int line)
{
    if (ok) {
        passed++;
    } else {
        printf("FAIL line %d: %s\n", line, what);
        failed++;
    }
}

enum { IMAGE_MAX = 0x4000 };

struct image {
    uint8_t bytes[IMAGE_MAX];
    size_t len;
};

/* Appends size bytes (zeros when data is NULL) at the next multiple of
 * align; returns their offset. */
static size_t put(struct image *im, const void *data, size_t size, size_t align)
{
    size_t at = (im->len + align - 1) / align * align;
    if (at + size > IMAGE_MAX) {
        fprintf(stderr, "test_elf_symbols: IMAGE_MAX is too small\n");
        exit(EXIT_FAILURE);
    }
    memset(im->bytes + im->len, 0, at - im->len);
    if (data) {
        memcpy(im->bytes + at, data, size);
    } else {
        memset(im->bytes + at, 0, size);
    }
    im->len = at + size;
    return at;
}

struct strings {
    char bytes[2048];
    uint32_t len;
};

/* A string table starts with the empty name at index 0. */
static uint32_t add_string(struct strings *t, const char *s)
{
    if (t->len == 0) {
        t->bytes[t->len++] = '\0';
    }
    size_t n = strlen(s) + 1;
    if (t->len + n > sizeof(t->bytes)) {
        fprintf(stderr, "test_elf_symbols: a string table is too small\n");
        exit(EXIT_FAILURE);
    }
    memcpy(t->bytes + t->len, s, n);
    uint32_t at = t->len;
    t->len += (uint32_t)n;
    return at;
}

static Elf64_Sym sym(uint32_t name, int bind, int type, uint16_t shndx, uint64_t value,
                     uint64_t size)
{
    return (Elf64_Sym){.st_name = name,
                       .st_info = ELF64_ST_INFO(bind, type),
                       .st_shndx = shndx,
                       .st_value = value,
                       .st_size = size};
}

struct section {
    const char *name;
    uint32_t type;
    const void *data;
    size_t size;
    uint32_t link;
    uint64_t entsize, addr;
    size_t align;
};

/* Lays out the sections' contents, a .shstrtab and the section header table
 * after what im holds, and writes the ELF header (phnum program headers
 * expected at offset 64). Section 0 is the null one. */
static void finish(struct image *im, uint16_t phnum, const struct section *s, unsigned n)
{
    struct strings shstr = {0};
    Elf64_Shdr sh[16] = {{0}};
    for (unsigned i = 1; i < n; i++) {
        sh[i] = (Elf64_Shdr){.sh_name = add_string(&shstr, s[i].name),
                             .sh_type = s[i].type,
                             .sh_addr = s[i].addr,
                             .sh_size = s[i].size,
                             .sh_link = s[i].link,
                             .sh_addralign = s[i].align,
                             .sh_entsize = s[i].entsize};
        if (s[i].type != SHT_NOBITS) {
            sh[i].sh_offset = put(im, s[i].data, s[i].size, s[i].align);
        }
    }
    uint32_t shstr_name = add_string(&shstr, ".shstrtab");
    sh[n] = (Elf64_Shdr){.sh_name = shstr_name,
                         .sh_type = SHT_STRTAB,
                         .sh_offset = put(im, shstr.bytes, shstr.len, 1),
                         .sh_size = shstr.len,
                         .sh_addralign = 1};
    Elf64_Ehdr eh = {.e_type = ET_DYN,
                     .e_machine = EM_X86_64,
                     .e_version = EV_CURRENT,
                     .e_entry = 0x401000,
                     .e_phoff = phnum ? sizeof(Elf64_Ehdr) : 0,
                     .e_ehsize = sizeof(Elf64_Ehdr),
                     .e_phentsize = sizeof(Elf64_Phdr),
                     .e_phnum = phnum,
                     .e_shentsize = sizeof(Elf64_Shdr),
                     .e_shnum = (uint16_t)(n + 1),
                     .e_shstrndx = (uint16_t)n};
    eh.e_shoff = put(im, sh, (n + 1) * sizeof(Elf64_Shdr), 8);
    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    memcpy(im->bytes, &eh, sizeof(eh));
}

/* The game's section indices (the ones the damaged variants change). */
enum { SEC_TEXT = 1, SEC_SYMTAB = 2, SEC_STRTAB = 3, SEC_DYNSYM = 4 };

static const uint8_t build_id[20] = {0xab, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                     0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xf0, 0xe1, 0xd2, 0xc3};
/* Names of 300, ELF_SYMBOLS_MAX_NAME and ELF_SYMBOLS_MAX_NAME - 1 bytes. */
static char long_name[300 + 1], name_max[ELF_SYMBOLS_MAX_NAME + 1], name_fits[ELF_SYMBOLS_MAX_NAME];

/* The functions the game's tables define at distinct addresses, and with
 * its debug file's. */
enum { GAME_FUNCTIONS = 9, WITH_DEBUG = GAME_FUNCTIONS + 1 };

/* The game: one PT_LOAD (file 0x1000-0x3000 at 0x401000), a PT_NOTE with
 * its build ID and a .symtab (with_dynsym: and a .dynsym) whose kept
 * functions are main, helper, memcpy, global_name_longer, name_max,
 * long_name, name_fits, ifunc_resolver and (.dynsym) dyn_only. */
static void build_game_with_id(struct image *im, bool with_dynsym, const uint8_t *id,
                               uint32_t id_len)
{
    im->len = 0;
    put(im, NULL, sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr), 8);
    Elf64_Nhdr nh = {.n_namesz = 4, .n_descsz = id_len, .n_type = NT_GNU_BUILD_ID};
    size_t note = put(im, &nh, sizeof(nh), 4);
    put(im, "GNU", 4, 1);
    put(im, id, id_len, 4);
    put(im, NULL, 0, 4); /* a note's size is a multiple of 4 */
    size_t note_size = im->len - note;

    static uint8_t text[0x2000];
    memset(text, 0xcc, sizeof(text)); /* int3: what is there does not matter */

    struct strings str = {0};
    uint32_t n_main = add_string(&str, "main"), n_helper = add_string(&str, "helper");
    uint32_t n_alias_local = add_string(&str, "a_local_alias");
    uint32_t n_chk = add_string(&str, "__memcpy_chk"), n_memcpy = add_string(&str, "memcpy");
    uint32_t n_g = add_string(&str, "g");
    uint32_t n_longer = add_string(&str, "global_name_longer");
    uint32_t n_object = add_string(&str, "data_object");
    uint32_t n_undef = add_string(&str, "undefined_func");
    uint32_t n_zero = add_string(&str, "zero_size");
    uint32_t n_long = add_string(&str, long_name), n_max = add_string(&str, name_max);
    uint32_t n_fits = add_string(&str, name_fits);
    uint32_t n_ifunc = add_string(&str, "ifunc_resolver");
    Elf64_Sym symtab[] = {
        {0},
        sym(n_main, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401000, 0x20),
        sym(n_helper, STB_LOCAL, STT_FUNC, SEC_TEXT, 0x401020, 0x10),
        /* Three names of one function: a local one and two globals. */
        sym(n_alias_local, STB_LOCAL, STT_FUNC, SEC_TEXT, 0x401040, 0x30),
        sym(n_chk, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401040, 0x30),
        sym(n_memcpy, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401040, 0x30),
        /* The local name is shorter, the global one still wins. */
        sym(n_g, STB_LOCAL, STT_FUNC, SEC_TEXT, 0x401080, 0x30),
        sym(n_longer, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401080, 0x30),
        sym(n_object, STB_GLOBAL, STT_OBJECT, SEC_TEXT, 0x4010c0, 0x8),
        sym(n_undef, STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0x4010d0, 0x10),
        sym(n_zero, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x4010e0, 0),
        sym(n_max, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x4010f0, 0x10),
        sym(n_long, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401100, 0x10),
        sym(n_fits, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401110, 0x10),
        sym(n_ifunc, STB_GLOBAL, STT_GNU_IFUNC, SEC_TEXT, 0x401120, 0x10),
        /* A name index past the table, and one at its last byte (""). */
        sym(str.len + 100, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401140, 0x10),
        sym(str.len - 1, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401150, 0x10),
    };

    struct strings dynstr = {0};
    uint32_t d_main = add_string(&dynstr, "main"), d_only = add_string(&dynstr, "dyn_only");
    uint32_t d_puts = add_string(&dynstr, "puts");
    Elf64_Sym dynsym[] = {
        {0},
        sym(d_main, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401000, 0x20),
        sym(d_only, STB_GLOBAL, STT_FUNC, SEC_TEXT, 0x401160, 0x10),
        sym(d_puts, STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0, 0), /* an import */
    };

    const struct section sections[] = {
        {0},
        {".text", SHT_PROGBITS, text, sizeof(text), 0, 0, 0x401000, 0x1000},
        {".symtab", SHT_SYMTAB, symtab, sizeof(symtab), SEC_STRTAB, sizeof(Elf64_Sym), 0, 8},
        {".strtab", SHT_STRTAB, str.bytes, str.len, 0, 0, 0, 1},
        {".dynsym", SHT_DYNSYM, dynsym, sizeof(dynsym), SEC_DYNSYM + 1, sizeof(Elf64_Sym), 0, 8},
        {".dynstr", SHT_STRTAB, dynstr.bytes, dynstr.len, 0, 0, 0, 1},
    };
    finish(im, 2, sections, with_dynsym ? 6 : 4);

    Elf64_Phdr ph[2] = {
        {.p_type = PT_LOAD,
         .p_flags = PF_R | PF_X,
         .p_offset = 0x1000,
         .p_vaddr = 0x401000,
         .p_paddr = 0x401000,
         .p_filesz = 0x2000,
         .p_memsz = 0x2000,
         .p_align = 0x1000},
        {.p_type = PT_NOTE, .p_flags = PF_R, .p_offset = note, .p_filesz = note_size, .p_align = 4},
    };
    memcpy(im->bytes + sizeof(Elf64_Ehdr), ph, sizeof(ph));
}

static void build_game(struct image *im, bool with_dynsym)
{
    build_game_with_id(im, with_dynsym, build_id, sizeof(build_id));
}

/* A separate debug file as objcopy --only-keep-debug makes one: no
 * segments, .text without contents, a .symtab with one more function
 * (between two of the game's: the merged table must be sorted again). */
static void build_debug(struct image *im)
{
    im->len = 0;
    put(im, NULL, sizeof(Elf64_Ehdr), 8);
    struct strings str = {0};
    uint32_t n_debug = add_string(&str, "debug_only");
    Elf64_Sym symtab[] = {
        {0},
        sym(n_debug, STB_LOCAL, STT_FUNC, SEC_TEXT, 0x401130, 0x8),
    };
    const struct section sections[] = {
        {0},
        {".text", SHT_NOBITS, NULL, 0x2000, 0, 0, 0x401000, 16},
        {".symtab", SHT_SYMTAB, symtab, sizeof(symtab), SEC_STRTAB, sizeof(Elf64_Sym), 0, 8},
        {".strtab", SHT_STRTAB, str.bytes, str.len, 0, 0, 0, 1},
    };
    finish(im, 0, sections, 4);
}

static void get_section(const struct image *im, unsigned i, Elf64_Shdr *sh)
{
    Elf64_Ehdr eh;
    memcpy(&eh, im->bytes, sizeof(eh));
    memcpy(sh, im->bytes + eh.e_shoff + i * sizeof(*sh), sizeof(*sh));
}

static void set_section(struct image *im, unsigned i, const Elf64_Shdr *sh)
{
    Elf64_Ehdr eh;
    memcpy(&eh, im->bytes, sizeof(eh));
    memcpy(im->bytes + eh.e_shoff + i * sizeof(*sh), sh, sizeof(*sh));
}

/* Parses an exact-size copy, so that ASan sees a read one byte past it. */
static ElfSymbols *parse_exact(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len > 0 ? len : 1);
    if (!copy) {
        exit(EXIT_FAILURE);
    }
    memcpy(copy, data, len);
    ElfSymbols *syms = elf_symbols_parse(copy, len);
    free(copy); /* the result does not point into the buffer */
    return syms;
}

/* A file parse_exact gives no symbols at all (freed if it does). */
static bool rejected(const uint8_t *data, size_t len)
{
    ElfSymbols *s = parse_exact(data, len);
    elf_symbols_free(s);
    return s == NULL;
}

/* The name lookup gives for address ("" for none), and its start. */
static const char *name_at(const ElfSymbols *syms, uint64_t address, uint64_t *start)
{
    *start = UINT64_MAX;
    const char *name = elf_symbols_lookup(syms, address, start);
    return name ? name : "";
}

static bool named(const ElfSymbols *syms, uint64_t address, const char *want, uint64_t want_start)
{
    uint64_t start;
    const char *name = name_at(syms, address, &start);
    if (strcmp(name, want) != 0 || start != want_start) {
        printf("  at %#llx: '%s' at %#llx, want '%s' at %#llx\n", (unsigned long long)address, name,
               (unsigned long long)start, want, (unsigned long long)want_start);
        return false;
    }
    return true;
}

static bool unnamed(const ElfSymbols *syms, uint64_t address)
{
    uint64_t start;
    const char *name = name_at(syms, address, &start);
    if (name[0] != '\0') {
        printf("  at %#llx: '%s', want no function\n", (unsigned long long)address, name);
        return false;
    }
    return true;
}

static void test_game(const struct image *game)
{
    ElfSymbols *s = parse_exact(game->bytes, game->len);
    CHECK(s != NULL);
    if (!s) {
        return;
    }
    CHECK(elf_symbols_count(s) == GAME_FUNCTIONS);
    CHECK(named(s, 0x401000, "main", 0x401000));
    CHECK(named(s, 0x401010, "main", 0x401000));
    CHECK(named(s, 0x40102f, "helper", 0x401020));
    CHECK(unnamed(s, 0x401030)); /* helper's start + size: the end is exclusive */
    CHECK(named(s, 0x401050, "memcpy", 0x401040));
    CHECK(named(s, 0x401080, "global_name_longer", 0x401080));
    CHECK(unnamed(s, 0x4010c0)); /* an object */
    CHECK(unnamed(s, 0x4010d0)); /* undefined */
    CHECK(unnamed(s, 0x4010e0)); /* no size */
    CHECK(named(s, 0x401120, "ifunc_resolver", 0x401120));
    CHECK(unnamed(s, 0x401140)); /* its name index is past .strtab */
    CHECK(unnamed(s, 0x401150)); /* its name is empty */
    CHECK(named(s, 0x401168, "dyn_only", 0x401160));
    CHECK(unnamed(s, 0));
    CHECK(unnamed(s, 0x400fff));
    CHECK(unnamed(s, 0x401170));
    CHECK(unnamed(s, UINT64_MAX));

    uint64_t start;
    const char *cut = name_at(s, 0x401108, &start);
    CHECK(strlen(cut) == ELF_SYMBOLS_MAX_NAME - 1);
    CHECK(strncmp(cut, long_name, ELF_SYMBOLS_MAX_NAME - 1) == 0);
    cut = name_at(s, 0x4010f0, &start);
    CHECK(strlen(cut) == ELF_SYMBOLS_MAX_NAME - 1);
    CHECK(strncmp(cut, name_max, ELF_SYMBOLS_MAX_NAME - 1) == 0);
    CHECK(named(s, 0x401110, name_fits, 0x401110)); /* the longest name kept whole */

    uint64_t address = 0;
    CHECK(elf_symbols_offset_to_address(s, 0x1010, &address) && address == 0x401010);
    CHECK(elf_symbols_offset_to_address(s, 0x2fff, &address) && address == 0x402fff);
    CHECK(!elf_symbols_offset_to_address(s, 0x3000, &address));
    CHECK(!elf_symbols_offset_to_address(s, 0xfff, &address));

    const uint8_t *id = NULL;
    CHECK(elf_symbols_build_id(s, &id) == sizeof(build_id));
    CHECK(id != NULL && memcmp(id, build_id, sizeof(build_id)) == 0);

    struct image debug;
    build_debug(&debug);
    CHECK(unnamed(s, 0x401130));
    CHECK(elf_symbols_add_debug(s, debug.bytes, debug.len) == 1);
    CHECK(elf_symbols_count(s) == WITH_DEBUG);
    CHECK(named(s, 0x401137, "debug_only", 0x401130));
    CHECK(unnamed(s, 0x401138));
    CHECK(named(s, 0x401010, "main", 0x401000)); /* the merge kept the rest */
    CHECK(named(s, 0x401168, "dyn_only", 0x401160));
    elf_symbols_free(s);
}

/* Headers of files that are not the guest's: no symbols, not a crash. */
static void test_other_files(const struct image *game)
{
    static struct image other;
    other = *game;
    other.bytes[EI_CLASS] = ELFCLASS32;
    CHECK(rejected(other.bytes, other.len));

    other = *game;
    uint16_t machine = EM_AARCH64;
    memcpy(other.bytes + offsetof(Elf64_Ehdr, e_machine), &machine, sizeof(machine));
    CHECK(rejected(other.bytes, other.len));

    ElfSymbols *s = parse_exact(game->bytes, game->len);
    struct image debug;
    build_debug(&debug);
    memcpy(debug.bytes + offsetof(Elf64_Ehdr, e_machine), &machine, sizeof(machine));
    CHECK(s != NULL && elf_symbols_add_debug(s, debug.bytes, debug.len) == 0);
    CHECK(s != NULL && elf_symbols_count(s) == GAME_FUNCTIONS);
    elf_symbols_free(s);

    CHECK(rejected((const uint8_t *)"#!/bin/sh\n", 10));
}

/* Every prefix of the game: below the program headers' end no file; past
 * it the loads and (once whole) the note, but no symbols, whose section
 * header table is the file's last bytes. */
static void test_truncated(const struct image *game)
{
    size_t headers_end = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
    int wrong = 0;
    for (size_t len = 0; len < game->len; len++) {
        ElfSymbols *s = parse_exact(game->bytes, len);
        const uint8_t *id;
        uint64_t address;
        if (len < headers_end) {
            wrong += s != NULL;
        } else {
            wrong += s == NULL || elf_symbols_count(s) != 0 ||
                     !elf_symbols_offset_to_address(s, 0x1010, &address) ||
                     elf_symbols_build_id(s, &id) > sizeof(build_id);
        }
        elf_symbols_free(s);
    }
    CHECK(wrong == 0);
}

/* A build ID of ELF_SYMBOLS_MAX_BUILD_ID bytes is read; a longer one is
 * not (rather than cut: a cut one names no debug file). */
static void test_long_build_id(void)
{
    static struct image im;
    uint8_t id[ELF_SYMBOLS_MAX_BUILD_ID + 1];
    for (size_t i = 0; i < sizeof(id); i++) {
        id[i] = (uint8_t)(0x80 + i);
    }
    for (uint32_t len = ELF_SYMBOLS_MAX_BUILD_ID; len <= sizeof(id); len++) {
        build_game_with_id(&im, false, id, len);
        ElfSymbols *s = parse_exact(im.bytes, im.len);
        const uint8_t *got = NULL;
        size_t got_len = s ? elf_symbols_build_id(s, &got) : SIZE_MAX;
        if (len == ELF_SYMBOLS_MAX_BUILD_ID) {
            CHECK(got_len == len && memcmp(got, id, len) == 0);
        } else {
            CHECK(got_len == 0);
        }
        CHECK(s != NULL && elf_symbols_count(s) == GAME_FUNCTIONS - 1); /* no .dynsym */
        elf_symbols_free(s);
    }
}

/* The functions parse_exact keeps from im; SIZE_MAX when it gives none. */
static size_t count_of(const struct image *im)
{
    ElfSymbols *s = parse_exact(im->bytes, im->len);
    size_t n = s ? elf_symbols_count(s) : SIZE_MAX;
    elf_symbols_free(s);
    return n;
}

/* Damaged symbol tables are skipped, the file's other table still read. */
static void test_damaged_tables(void)
{
    static struct image im;
    Elf64_Shdr sh;
    /* .symtab past the end, and so far that offset + size wraps around. */
    for (int far = 0; far < 2; far++) {
        build_game(&im, false);
        get_section(&im, SEC_SYMTAB, &sh);
        sh.sh_offset = far ? UINT64_MAX - 8 : im.len + 16;
        set_section(&im, SEC_SYMTAB, &sh);
        CHECK(count_of(&im) == 0);
    }

    build_game(&im, true);
    get_section(&im, SEC_SYMTAB, &sh);
    sh.sh_offset = im.len + 16;
    set_section(&im, SEC_SYMTAB, &sh);
    ElfSymbols *s = parse_exact(im.bytes, im.len);
    CHECK(s != NULL && elf_symbols_count(s) == 2); /* main and dyn_only, from .dynsym */
    CHECK(s != NULL && named(s, 0x401000, "main", 0x401000));
    elf_symbols_free(s);

    /* Its string table running past the end of the file. */
    build_game(&im, false);
    get_section(&im, SEC_STRTAB, &sh);
    sh.sh_size = im.len;
    set_section(&im, SEC_STRTAB, &sh);
    CHECK(count_of(&im) == 0);

    /* Its link naming a section that is no string table (itself: its
     * bytes hold NUL-terminated garbage), and naming no section. */
    const uint32_t links[] = {SEC_SYMTAB, 1000};
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        build_game(&im, false);
        get_section(&im, SEC_SYMTAB, &sh);
        sh.sh_link = links[i];
        set_section(&im, SEC_SYMTAB, &sh);
        CHECK(count_of(&im) == 0);
    }
}

static bool write_file(const char *path, const struct image *im)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        return false;
    }
    bool ok = fwrite(im->bytes, 1, im->len, f) == im->len;
    return fclose(f) == 0 && ok;
}

/* elf_symbols_load: the file, and its debug file found by build ID in
 * DIR/.build-id/ab/0102….debug only when a debug directory is given. */
static void test_load(const struct image *game)
{
    const char *tmp = getenv("TMPDIR");
    char dir[256], path[512], debug_dir[512], by_id[512], id_dir[512], debug_path[512];
    if (!tmp || snprintf(dir, sizeof(dir), "%s/test-elf-symbols-XXXXXX", tmp) >= (int)sizeof(dir)) {
        snprintf(dir, sizeof(dir), "/tmp/test-elf-symbols-XXXXXX");
    }
    if (!mkdtemp(dir)) {
        check(false, "mkdtemp", __LINE__);
        return;
    }
    char rest[2 * sizeof(build_id)] = ""; /* the ID's hex digits after the first two */
    for (size_t i = 1; i < sizeof(build_id); i++) {
        snprintf(rest + 2 * (i - 1), 3, "%02x", build_id[i]);
    }
    snprintf(path, sizeof(path), "%s/game.x86_64", dir);
    snprintf(debug_dir, sizeof(debug_dir), "%s/debug", dir);
    snprintf(by_id, sizeof(by_id), "%s/debug/.build-id", dir);
    snprintf(id_dir, sizeof(id_dir), "%s/debug/.build-id/%02x", dir, build_id[0]);
    snprintf(debug_path, sizeof(debug_path), "%s/debug/.build-id/%02x/%s.debug", dir, build_id[0],
             rest);
    CHECK(strstr(debug_path, "/debug/.build-id/ab/0102030405060708090a0b0c0d0e0ff0e1d2c3.debug"));

    struct image debug;
    build_debug(&debug);
    bool made = write_file(path, game) && mkdir(debug_dir, 0700) == 0 && mkdir(by_id, 0700) == 0 &&
                mkdir(id_dir, 0700) == 0 && write_file(debug_path, &debug);
    CHECK(made);
    if (made) {
        ElfSymbols *s = elf_symbols_load(path, debug_dir);
        CHECK(s != NULL && elf_symbols_count(s) == WITH_DEBUG);
        CHECK(s != NULL && named(s, 0x401130, "debug_only", 0x401130));
        CHECK(s != NULL && named(s, 0x401010, "main", 0x401000));
        elf_symbols_free(s);

        s = elf_symbols_load(path, NULL);
        CHECK(s != NULL && elf_symbols_count(s) == GAME_FUNCTIONS);
        CHECK(s != NULL && unnamed(s, 0x401130));
        elf_symbols_free(s);

        s = elf_symbols_load(path, dir); /* no .build-id there */
        CHECK(s != NULL && elf_symbols_count(s) == GAME_FUNCTIONS);
        elf_symbols_free(s);

        CHECK(elf_symbols_load(dir, NULL) == NULL); /* a directory */
        s = elf_symbols_load(debug_path, NULL);     /* no loads: still a file of symbols */
        CHECK(s != NULL && elf_symbols_count(s) == 1);
        elf_symbols_free(s);
    }
    snprintf(path + strlen(dir), sizeof(path) - strlen(dir), "/absent");
    CHECK(elf_symbols_load(path, NULL) == NULL);

    snprintf(path, sizeof(path), "%s/game.x86_64", dir);
    unlink(debug_path);
    rmdir(id_dir);
    rmdir(by_id);
    rmdir(debug_dir);
    unlink(path);
    CHECK(rmdir(dir) == 0); /* everything made here is gone */
}

int main(void)
{
    memset(long_name, 'n', sizeof(long_name) - 1);
    memset(name_max, 'm', sizeof(name_max) - 1);
    memset(name_fits, 'f', sizeof(name_fits) - 1);
    static struct image game;
    build_game(&game, true);

    test_game(&game);
    test_other_files(&game);
    test_truncated(&game);
    test_long_build_id();
    test_damaged_tables();
    test_load(&game);

    printf("%d checks passed, %d failed\n", passed, failed);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
