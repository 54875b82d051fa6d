/*
 * This machine's dpkg database (DPKG_ADMINDIR, as dpkg itself honours it,
 * else /var/lib/dpkg), read for `sysroot create --from-multiarch`:
 *   - status: the installed packages (Status "... ok installed") of every
 *     architecture, as a universe for the closure (deb-closure.h) whose
 *     target is amd64;
 *   - arch: the foreign architectures dpkg --add-architecture configured;
 *   - info/NAME:ARCH.list or info/NAME.list: the files of each package;
 *   - diversions: files another package moved aside (dpkg-divert).
 * The database is this machine's own, but it is still read with limits.
 */
#pragma once

#include "deb-closure.h"

#include <glib.h>

#define LO_DPKG_ADMINDIR_DEFAULT "/var/lib/dpkg"

typedef struct {
    char *admindir;
    char *native_arch;  /* Debian's name for this host: amd64, arm64, riscv64, ... */
    gboolean has_amd64; /* amd64 is native or a configured foreign architecture */
    LoDebUniverse *universe;
    GHashTable *diverted; /* path -> "DIVERT-TO\nPACKAGE" */
} LoDpkgDb;

void lo_dpkg_db_free(LoDpkgDb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoDpkgDb, lo_dpkg_db_free)

/* Debian's architecture name for a machine name (uname -m): x86_64 ->
 * amd64, aarch64 -> arm64, ...; unknown names are returned as they are. */
const char *lo_debian_arch_for(const char *machine);

/* Reads the database (admindir NULL: $DPKG_ADMINDIR, else the default). */
LoDpkgDb *lo_dpkg_db_open(const char *admindir, GError **error);

/* The absolute paths a package installed (its .list file), in order. */
GPtrArray *lo_dpkg_db_files(const LoDpkgDb *db, const LoDebPackage *p, GError **error);

/* Where the content that package installed at path lives now: path itself,
 * or, when another package diverted it, the place it was moved to. */
const char *lo_dpkg_db_real_path(const LoDpkgDb *db, const char *path, const char *package);
