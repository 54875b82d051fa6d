/*
 * What an ELF file asks of the dynamic loader: its interpreter (PT_INTERP),
 * the libraries it needs (DT_NEEDED), its soname and its RPATH/RUNPATH.
 *
 * Games and the libraries they bundle are untrusted input: every offset,
 * size and count is checked against the file before it is used, and the
 * counts and string lengths are capped (the limits below), so a hostile
 * file can make the answer wrong but never make the reader misbehave.
 * launcher/fuzz/fuzz-elf.c fuzzes it.
 */
#pragma once

#include <glib.h>

#define LO_ELF_MAX_PHDRS   512  /* program headers; real programs have about 15 */
#define LO_ELF_MAX_DYNAMIC 4096 /* dynamic entries read */
#define LO_ELF_MAX_NEEDED  1024 /* DT_NEEDED entries kept */
#define LO_ELF_MAX_STRING  4096 /* bytes of one name or search path */

/* Reads len bytes at offset; FALSE when they are not all there. */
typedef gboolean (*LoElfReadFn)(void *ctx, guint64 offset, void *buf, gsize len);

typedef struct {
    LoElfReadFn read;
    void *ctx;
    guint64 size;
} LoElfSource;

typedef enum {
    LO_ELF_X86_64,     /* 64-bit little-endian x86_64: what the guest loader takes */
    LO_ELF_OTHER_ARCH, /* an ELF file the x86_64 loader skips (32-bit, aarch64, …) */
    LO_ELF_NOT_ELF,
} LoElfKind;

typedef struct {
    LoElfKind kind;
    char *interp;      /* PT_INTERP, or NULL (static programs, libraries) */
    char *soname;      /* DT_SONAME, or NULL */
    char *rpath;       /* DT_RPATH as written (with $ORIGIN etc.), or NULL */
    char *runpath;     /* DT_RUNPATH, or NULL */
    GPtrArray *needed; /* char*, DT_NEEDED in file order; empty for static files */
} LoElfDeps;

/* Fills out (which must be zeroed or cleared). Only an x86_64 file is read
 * past its header; kind tells what it is. FALSE (LO_EXIT_INVALID) when an
 * x86_64 file's headers or dynamic section are damaged. */
gboolean lo_elf_deps_read(const LoElfSource *src, LoElfDeps *out, GError **error);

/* The same from memory (fuzzing, tests) and from a file (pread). */
gboolean lo_elf_deps_read_buffer(const void *data, gsize size, LoElfDeps *out, GError **error);
gboolean lo_elf_deps_read_file(const char *path, LoElfDeps *out, GError **error);

void lo_elf_deps_clear(LoElfDeps *deps);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(LoElfDeps, lo_elf_deps_clear)
