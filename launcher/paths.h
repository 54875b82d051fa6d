/*
 * Where qemu-lorelei finds its parts and keeps its data.
 *
 * Artifacts (QEMU, plugin, preload shim, guest libraries, built-in profiles)
 * are looked up in this order, first hit wins:
 *   1. the environment variable (LORELEI_QEMU, ...): used as given, never
 *      second-guessed; a missing path is an error;
 *   2. relative to the running executable, build-tree layout
 *      (build/launcher/qemu-lorelei -> build/plugin/..., build/thunklibs/;
 *      the built-in profiles are the source tree's profiles/ folder);
 *   3. relative to the running executable, install layout
 *      ($bindir -> $libdir/qemu-lorelei, $libexecdir/qemu-lorelei, $datadir/qemu-lorelei);
 *   4. the compiled-in defaults (the configured install paths; for QEMU also
 *      the patched QEMU the build used).
 * User data follows XDG: sysroots and the synced community profiles under
 * $XDG_DATA_HOME/qemu-lorelei, the user's own profiles under
 * $XDG_CONFIG_HOME/qemu-lorelei/profiles, the sha256 cache under
 * $XDG_CACHE_HOME/qemu-lorelei. A relative XDG_*_HOME is ignored, as the
 * XDG base directory specification says (~/.local/share, ~/.config,
 * ~/.cache instead).
 */
#pragma once

#include <glib.h>

typedef enum {
    LO_ARTIFACT_QEMU,
    LO_ARTIFACT_PLUGIN,
    LO_ARTIFACT_PRELOAD,
    LO_ARTIFACT_GUESTLIBS,
    LO_ARTIFACT_PROFILES,
    LO_ARTIFACT_PROFILE_PLUGIN, /* liblorelei-profile.so, for run --profile-libs */
    LO_N_ARTIFACTS
} LoArtifact;

/* The environment variable that overrides an artifact's location. */
const char *lo_artifact_env(LoArtifact which);

/* A short description ("the patched qemu-x86_64") for messages. */
const char *lo_artifact_what(LoArtifact which);

/* Finds an artifact; on failure the error names every path tried and the fix. */
char *lo_artifact_find(LoArtifact which, GError **error);

/* Every candidate path in lookup order (for doctor and --verbose). */
GPtrArray *lo_artifact_candidates(LoArtifact which);

/* Directory of the running executable (symlinks resolved). */
const char *lo_exe_dir(void);

/* $XDG_DATA_HOME/qemu-lorelei/sysroots */
char *lo_sysroots_dir(void);
/* $XDG_DATA_HOME/qemu-lorelei/community */
char *lo_community_dir(void);
/* $XDG_CONFIG_HOME/qemu-lorelei/profiles */
char *lo_user_profiles_dir(void);
/* $XDG_CACHE_HOME/qemu-lorelei */
char *lo_cache_dir(void);

/* The architecture the host reports, or LORELEI_HOST_ARCH when set (a
 * documented testing aid: lets x86_64 CI exercise the other hosts' rules). */
const char *lo_effective_host_arch(void);
gboolean lo_effective_host_is_x86_64(void);
