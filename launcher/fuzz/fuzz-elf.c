/*
 * libFuzzer target: the ELF dependency reader (elf-deps.c) that the run's
 * pre-flight check points at the game and every library it bundles. Beyond
 * "no read outside the buffer": what it returns keeps its limits.
 */
#include "elf-deps.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s)
{
    if (s != NULL && strlen(s) >= LO_ELF_MAX_STRING) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy: ASan then sees a read one byte past the end. */
    uint8_t *copy = malloc(size > 0 ? size : 1);
    memcpy(copy, data, size);
    LoElfDeps d = {0};
    GError *error = NULL;
    gboolean ok = lo_elf_deps_read_buffer(copy, size, &d, &error);
    if (ok != (error == NULL) || d.needed == NULL || d.needed->len > LO_ELF_MAX_NEEDED) {
        abort();
    }
    if (d.kind != LO_ELF_X86_64 && (d.needed->len != 0 || d.interp != NULL)) {
        abort(); /* only x86_64 files are read past their header */
    }
    for (guint i = 0; i < d.needed->len; i++) {
        const char *n = d.needed->pdata[i];
        if (n[0] == '\0') {
            abort();
        }
        check_string(n);
    }
    check_string(d.interp);
    check_string(d.soname);
    check_string(d.rpath);
    check_string(d.runpath);
    lo_elf_deps_clear(&d);
    g_clear_error(&error);
    free(copy);
    return 0;
}
