/*
 * sysroot create --from-debian SUITE and --from-multiarch: sysroots made of
 * Debian packages, the dependency closure of the libraries games use,
 * taken from a mirror (cmd-sysroot-debian.c) or from the amd64 packages
 * installed on this machine (cmd-sysroot-multiarch.c). Both print the same
 * listing for --dry-run and record the same kind of metadata.
 */
#pragma once

#include "deb-closure.h"

#include <glib.h>

struct cJSON;

typedef struct {
    char *debian;       /* --from-debian SUITE */
    gboolean multiarch; /* --from-multiarch */
    char *mirror;       /* --mirror URL */
    char *keyring;      /* --keyring FILE */
    char **packages;    /* --package NAME, repeatable */
    gboolean dry_run;   /* --dry-run */
    gboolean json;      /* --json (with --dry-run) */
    int stall_seconds;  /* --timeout */
    guint64 max_bytes;  /* --max-size */
} LoPackageSource;

/* The runtime libraries of SDL2/OpenGL/Vulkan games that are not forwarded
 * to the host: C and C++ runtimes, X11 and input, sound, D-Bus, udev,
 * images, fonts, compression. */
extern const char *const lo_game_packages[];

gboolean lo_sysroot_from_debian(const char *name, const char *target, const LoPackageSource *o,
                                GError **error);
gboolean lo_sysroot_from_multiarch(const char *name, const char *target, const LoPackageSource *o,
                                   GError **error);

/* Shared by both: ---------------------------------------------------------- */

/* lo_game_packages followed by o->packages, without repeats (NULL-terminated). */
GPtrArray *lo_requested_packages(const LoPackageSource *o);

/* Whether name was named with --package. */
gboolean lo_requested_explicitly(const LoPackageSource *o, const char *name);

/* Prints the warnings, and the packages left out, to stderr. */
void lo_closure_print_notes(const LoDebClosure *c);

/* The --dry-run listing on stdout (text, or JSON with source as "source"). */
void lo_closure_print_listing(const LoDebClosure *c, const LoPackageSource *o,
                              const struct cJSON *source, const char *cache_dir);

/* The "packages" and "left_out" arrays of a sysroot's metadata. */
void lo_closure_add_to_json(const LoDebClosure *c, struct cJSON *source);
