/*
 * The packages a sysroot needs: the dependency closure of the requested
 * packages over a set of Debian packages (a mirror's Packages index, or the
 * dpkg database of this machine).
 *
 * Rules (docs/launcher.md "Sysroots from Debian" says why):
 *   - Depends and Pre-Depends are followed; Recommends, Suggests, Enhances,
 *     Breaks and Conflicts are not (one suite is consistent by itself);
 *   - a group "a | b" is satisfied by a package already chosen if one is,
 *     else by the first alternative that exists: a real package first, else
 *     a package that Provides it (the first by name; a versioned dependency
 *     only by a versioned Provides that satisfies it);
 *   - version constraints are checked; when no alternative satisfies its
 *     constraint but one exists in another version, that one is taken and
 *     a warning says so; a group nothing satisfies is a warning too;
 *   - packages of the target architecture (amd64) and "all" go into the
 *     sysroot; a dependency met by a package of another architecture marked
 *     Multi-Arch: foreign (or "allowed" with ":any") is a tool of the host
 *     and stays out;
 *   - packages that only matter while installing packages (maintainer
 *     scripts run by dpkg: debconf, dpkg, init-system-helpers, lsb-base,
 *     adduser, ucf, install-info, ... and every Essential: yes package)
 *     stay out unless requested by name: no maintainer script ever runs in
 *     a sysroot, and the loader needs none of them.
 */
#pragma once

#include <glib.h>

typedef struct {
    char *name;
    char *version;
    char *arch;       /* "amd64", "all", or the host's own (dpkg database) */
    char *multi_arch; /* "same", "foreign", "allowed", or NULL */
    char *depends;    /* raw fields, NULL when absent */
    char *pre_depends;
    char *provides;
    gboolean essential;
    /* From a Packages index: where and what to download. */
    char *filename;
    guint64 size;
    char *sha256;
} LoDebPackage;

void lo_deb_package_free(LoDebPackage *p);

typedef struct LoDebUniverse LoDebUniverse;

/* target_arch: the architecture the sysroot is for ("amd64"). */
LoDebUniverse *lo_deb_universe_new(const char *target_arch);
void lo_deb_universe_free(LoDebUniverse *u);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoDebUniverse, lo_deb_universe_free)

/* Takes p. Of two packages with the same name and architecture, the higher
 * version stays. FALSE (p freed) when p's Provides field cannot be parsed. */
gboolean lo_deb_universe_add(LoDebUniverse *u, LoDebPackage *p, const char **why);
guint lo_deb_universe_size(const LoDebUniverse *u);
/* The package of that name for the sysroot (target architecture or all). */
const LoDebPackage *lo_deb_universe_lookup(const LoDebUniverse *u, const char *name);

/* Whether a package only matters for installing packages (see above). */
gboolean lo_deb_install_only(const LoDebPackage *p);

typedef struct {
    const LoDebPackage *package;
    char *why; /* "requested", "dependency of libx11-6", "provides debconf-2.0 for …" */
} LoDebPick;

typedef struct {
    GPtrArray *picked;   /* LoDebPick*, sorted by package name */
    GPtrArray *left_out; /* LoDebPick*, sorted: install-only packages and host tools */
    GPtrArray *missing;  /* char*: requested names nothing provides */
    GPtrArray *warnings; /* char*: unmet or mismatched dependencies */
} LoDebClosure;

void lo_deb_closure_free(LoDebClosure *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoDebClosure, lo_deb_closure_free)

/* The closure of requested (package names, NULL-terminated). Never fails:
 * what cannot be found ends up in missing or warnings. */
LoDebClosure *lo_deb_closure_resolve(const LoDebUniverse *u, const char *const *requested);

/* Total Size of the picked packages. */
guint64 lo_deb_closure_bytes(const LoDebClosure *c);
