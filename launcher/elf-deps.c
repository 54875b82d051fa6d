#include "elf-deps.h"

#include "errors.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* offset + len within size, without overflow. */
static gboolean fits(guint64 offset, guint64 len, guint64 size)
{
    return offset <= size && len <= size - offset;
}

static gboolean get(const LoElfSource *src, guint64 offset, void *buf, gsize len)
{
    return fits(offset, len, src->size) && src->read(src->ctx, offset, buf, len);
}

static gboolean damaged(GError **error, const char *what)
{
    g_set_error(error, LO_ERROR, LO_EXIT_INVALID, "damaged ELF file: %s", what);
    return FALSE;
}

/* The file offset of a virtual address inside a loaded segment's file bytes. */
static gboolean addr_to_offset(const Elf64_Phdr *ph, guint n, guint64 addr, guint64 *offset)
{
    for (guint i = 0; i < n; i++) {
        if (ph[i].p_type != PT_LOAD) {
            continue;
        }
        if (addr >= ph[i].p_vaddr && addr - ph[i].p_vaddr < ph[i].p_filesz) {
            guint64 delta = addr - ph[i].p_vaddr;
            if (ph[i].p_offset > G_MAXUINT64 - delta) {
                return FALSE;
            }
            *offset = ph[i].p_offset + delta;
            return TRUE;
        }
    }
    return FALSE;
}

/* The NUL-terminated string at index in the string table [tab, tab + tabsz). */
static char *read_string(const LoElfSource *src, guint64 tab, guint64 tabsz, guint64 index)
{
    if (index >= tabsz || !fits(tab, tabsz, src->size)) {
        return NULL;
    }
    gsize want = (gsize)MIN(tabsz - index, (guint64)LO_ELF_MAX_STRING);
    char buf[LO_ELF_MAX_STRING];
    if (!get(src, tab + index, buf, want)) {
        return NULL;
    }
    const char *nul = memchr(buf, '\0', want);
    return nul != NULL ? g_strndup(buf, nul - buf) : NULL;
}

static LoElfKind classify(const unsigned char *ident, gsize n, guint16 machine)
{
    if (n < SELFMAG || memcmp(ident, ELFMAG, SELFMAG) != 0) {
        return LO_ELF_NOT_ELF;
    }
    if (n < sizeof(Elf64_Ehdr) || ident[EI_CLASS] != ELFCLASS64 || ident[EI_DATA] != ELFDATA2LSB ||
        machine != EM_X86_64) {
        return LO_ELF_OTHER_ARCH;
    }
    return LO_ELF_X86_64;
}

static gboolean read_interp(const LoElfSource *src, const Elf64_Phdr *p, LoElfDeps *out,
                            GError **error)
{
    if (p->p_filesz == 0 || p->p_filesz > LO_ELF_MAX_STRING) {
        return damaged(error, "PT_INTERP has a bad size");
    }
    char buf[LO_ELF_MAX_STRING];
    if (!get(src, p->p_offset, buf, p->p_filesz)) {
        return damaged(error, "PT_INTERP lies outside the file");
    }
    const char *nul = memchr(buf, '\0', p->p_filesz);
    if (nul == NULL || nul == buf) {
        return damaged(error, "PT_INTERP is not a path");
    }
    out->interp = g_strndup(buf, nul - buf);
    return TRUE;
}

static gboolean read_dynamic(const LoElfSource *src, const Elf64_Phdr *ph, guint nph,
                             const Elf64_Phdr *dyn, LoElfDeps *out, GError **error)
{
    guint64 count = MIN(dyn->p_filesz / sizeof(Elf64_Dyn), (guint64)LO_ELF_MAX_DYNAMIC);
    if (!fits(dyn->p_offset, count * sizeof(Elf64_Dyn), src->size)) {
        return damaged(error, "the dynamic section lies outside the file");
    }
    g_autofree Elf64_Dyn *d = g_new(Elf64_Dyn, count > 0 ? count : 1);
    if (count > 0 && !get(src, dyn->p_offset, d, count * sizeof(Elf64_Dyn))) {
        return damaged(error, "the dynamic section cannot be read");
    }
    guint64 strtab = 0, strsz = 0;
    gboolean have_strtab = FALSE;
    guint64 n = 0;
    for (; n < count && d[n].d_tag != DT_NULL; n++) {
        if (d[n].d_tag == DT_STRTAB) {
            strtab = d[n].d_un.d_ptr;
            have_strtab = TRUE;
        } else if (d[n].d_tag == DT_STRSZ) {
            strsz = d[n].d_un.d_val;
        }
    }
    gboolean wants_strings = FALSE;
    for (guint64 i = 0; i < n; i++) {
        Elf64_Sxword t = d[i].d_tag;
        wants_strings |= t == DT_NEEDED || t == DT_SONAME || t == DT_RPATH || t == DT_RUNPATH;
    }
    if (!wants_strings) {
        return TRUE;
    }
    guint64 tab = 0;
    if (!have_strtab || !addr_to_offset(ph, nph, strtab, &tab) || !fits(tab, strsz, src->size)) {
        return damaged(error, "the dynamic string table lies outside the file");
    }
    for (guint64 i = 0; i < n; i++) {
        Elf64_Sxword t = d[i].d_tag;
        if (t != DT_NEEDED && t != DT_SONAME && t != DT_RPATH && t != DT_RUNPATH) {
            continue;
        }
        char *s = read_string(src, tab, strsz, d[i].d_un.d_val);
        if (s == NULL) {
            return damaged(error, "a dynamic entry names a string outside the string table");
        }
        char **slot = t == DT_SONAME ? &out->soname : t == DT_RPATH ? &out->rpath : &out->runpath;
        if (t == DT_NEEDED) {
            if (out->needed->len >= LO_ELF_MAX_NEEDED || s[0] == '\0') {
                g_free(s);
                return damaged(error, "too many or empty DT_NEEDED entries");
            }
            g_ptr_array_add(out->needed, s);
        } else if (*slot == NULL) {
            *slot = s;
        } else {
            g_free(s); /* the loader uses the first */
        }
    }
    return TRUE;
}

gboolean lo_elf_deps_read(const LoElfSource *src, LoElfDeps *out, GError **error)
{
    out->needed = g_ptr_array_new_with_free_func(g_free);
    Elf64_Ehdr eh = {0};
    gsize n = (gsize)MIN(src->size, (guint64)sizeof(eh));
    if (!get(src, 0, &eh, n)) {
        n = 0;
    }
    out->kind = classify(eh.e_ident, n, eh.e_machine);
    if (out->kind != LO_ELF_X86_64) {
        return TRUE;
    }
    if (eh.e_phnum == 0) {
        return TRUE; /* nothing to load: not our question */
    }
    if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > LO_ELF_MAX_PHDRS) {
        return damaged(error, "bad program header table");
    }
    g_autofree Elf64_Phdr *ph = g_new(Elf64_Phdr, eh.e_phnum);
    if (!get(src, eh.e_phoff, ph, (gsize)eh.e_phnum * sizeof(Elf64_Phdr))) {
        return damaged(error, "the program headers lie outside the file");
    }
    for (guint i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_INTERP && out->interp == NULL &&
            !read_interp(src, &ph[i], out, error)) {
            return FALSE;
        }
    }
    for (guint i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_DYNAMIC) {
            return read_dynamic(src, ph, eh.e_phnum, &ph[i], out, error);
        }
    }
    return TRUE;
}

typedef struct {
    const unsigned char *data;
} Buffer;

static gboolean buffer_read(void *ctx, guint64 offset, void *buf, gsize len)
{
    memcpy(buf, ((Buffer *)ctx)->data + offset, len);
    return TRUE;
}

gboolean lo_elf_deps_read_buffer(const void *data, gsize size, LoElfDeps *out, GError **error)
{
    Buffer b = {data};
    LoElfSource src = {buffer_read, &b, size};
    return lo_elf_deps_read(&src, out, error);
}

static gboolean fd_read(void *ctx, guint64 offset, void *buf, gsize len)
{
    int fd = *(int *)ctx;
    gsize done = 0;
    while (done < len) {
        ssize_t got = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return FALSE;
        }
        done += (gsize)got;
    }
    return TRUE;
}

gboolean lo_elf_deps_read_file(const char *path, LoElfDeps *out, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int saved = fd < 0 ? errno : EINVAL;
        if (fd >= 0) {
            close(fd);
        }
        out->needed = g_ptr_array_new_with_free_func(g_free);
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "cannot read %s: %s", path,
                    g_strerror(saved));
        return FALSE;
    }
    LoElfSource src = {fd_read, &fd, (guint64)st.st_size};
    gboolean ok = lo_elf_deps_read(&src, out, error);
    close(fd);
    if (!ok) {
        g_prefix_error(error, "%s: ", path);
    }
    return ok;
}

void lo_elf_deps_clear(LoElfDeps *deps)
{
    g_clear_pointer(&deps->interp, g_free);
    g_clear_pointer(&deps->soname, g_free);
    g_clear_pointer(&deps->rpath, g_free);
    g_clear_pointer(&deps->runpath, g_free);
    g_clear_pointer(&deps->needed, g_ptr_array_unref);
}
