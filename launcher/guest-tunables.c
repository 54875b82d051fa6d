#include "guest-tunables.h"

#include <string.h>

#define HWCAPS "glibc.cpu.hwcaps="

char *lo_guest_glibc_tunables(const char *existing)
{
    if (existing == NULL || existing[0] == '\0') {
        return g_strdup(HWCAPS LO_GUEST_GLIBC_HWCAPS);
    }
    if (strchr(existing, ',') != NULL) {
        return NULL;
    }
    /* Entries are NAME=VALUE, separated by ':'. */
    g_auto(GStrv) entries = g_strsplit(existing, ":", -1);
    for (char **e = entries; *e != NULL; e++) {
        if (g_str_has_prefix(*e, HWCAPS)) {
            return NULL;
        }
    }
    return g_strconcat(existing, ":" HWCAPS LO_GUEST_GLIBC_HWCAPS, NULL);
}
