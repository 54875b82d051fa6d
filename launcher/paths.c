#include "paths.h"

#include "errors.h"
#include "lorelei-config.h"
#include "util.h"

#include <string.h>
#include <unistd.h>

/* Each artifact's place in a build tree and in an installation, as absolute
 * paths of this build; lo_artifact_candidates() makes them relative to the
 * running executable (from LO_BUILD_DIR or LO_ABS_BINDIR respectively). */
typedef struct {
    const char *env;
    const char *what;
    const char *build;     /* in the build tree (NULL: none) */
    const char *install;   /* installed */
    const char *compiled;  /* absolute */
    const char *compiled2; /* absolute, tried last; may be NULL */
    gboolean is_dir;
    const char *fix;
} ArtifactInfo;

static const ArtifactInfo artifacts[LO_N_ARTIFACTS] = {
    [LO_ARTIFACT_QEMU] = {"LORELEI_QEMU", "the patched qemu-x86_64", NULL,
                          LO_ABS_LIBEXECDIR "/qemu-x86_64", LO_ABS_LIBEXECDIR "/qemu-x86_64",
                          LO_QEMU_DEFAULT, FALSE,
                          "build it with packaging/qemu/build-qemu.sh, or set LORELEI_QEMU to a "
                          "qemu-x86_64 that has the syscall-filter plugin API (QEMU >= 11.1)"},
    [LO_ARTIFACT_PLUGIN] = {"LORELEI_PLUGIN", "the lorelei plugin",
                            LO_BUILD_DIR "/../plugin/liblorelei-plugin.so",
                            LO_ABS_LIBDIR "/liblorelei-plugin.so",
                            LO_ABS_LIBDIR "/liblorelei-plugin.so", NULL, FALSE,
                            "build it (scripts/build.sh build) or set LORELEI_PLUGIN to "
                            "liblorelei-plugin.so"},
    [LO_ARTIFACT_PRELOAD] = {"LORELEI_PRELOAD", "the lorelei preload shim",
                             LO_BUILD_DIR "/../plugin/liblorelei-preload.so",
                             LO_ABS_LIBDIR "/liblorelei-preload.so",
                             LO_ABS_LIBDIR "/liblorelei-preload.so", NULL, FALSE,
                             "build it (scripts/build.sh build) or set LORELEI_PRELOAD to "
                             "liblorelei-preload.so"},
    [LO_ARTIFACT_GUESTLIBS] = {"LORELEI_GUESTLIBS", "the guest stub libraries",
                               LO_BUILD_DIR "/../thunklibs", LO_ABS_LIBDIR "/guest",
                               LO_ABS_LIBDIR "/guest", NULL, TRUE,
                               "build them (scripts/build.sh build) or set LORELEI_GUESTLIBS to "
                               "the folder holding sdl2/, gl/, vulkan/, openal/, zlib/ and "
                               "vorbisfile/"},
    [LO_ARTIFACT_PROFILES] = {"LORELEI_PROFILES_DIR", "the built-in profiles", LO_SOURCE_PROFILES,
                              LO_ABS_DATADIR "/profiles", LO_ABS_DATADIR "/profiles", NULL, TRUE,
                              "reinstall qemu-lorelei, or set LORELEI_PROFILES_DIR to a folder "
                              "of profiles"},
    [LO_ARTIFACT_PROFILE_PLUGIN] = {"LORELEI_PROFILE_PLUGIN", "the profiling plugin",
                                    LO_BUILD_DIR "/../plugin/liblorelei-profile.so",
                                    LO_ABS_LIBDIR "/liblorelei-profile.so",
                                    LO_ABS_LIBDIR "/liblorelei-profile.so", NULL, FALSE,
                                    "build it (scripts/build.sh build) or set "
                                    "LORELEI_PROFILE_PLUGIN to liblorelei-profile.so"},
};

const char *lo_artifact_env(LoArtifact which)
{
    return artifacts[which].env;
}

const char *lo_artifact_what(LoArtifact which)
{
    return artifacts[which].what;
}

const char *lo_exe_dir(void)
{
    static char *dir;
    if (dir == NULL) {
        g_autofree char *exe = g_file_read_link("/proc/self/exe", NULL);
        dir = exe != NULL ? g_path_get_dirname(exe) : g_strdup(".");
    }
    return dir;
}

GPtrArray *lo_artifact_candidates(LoArtifact which)
{
    const ArtifactInfo *a = &artifacts[which];
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    if (a->build != NULL) {
        g_autofree char *rel = lo_relative_path(LO_BUILD_DIR, a->build);
        g_ptr_array_add(out, g_canonicalize_filename(rel, lo_exe_dir()));
    }
    g_autofree char *rel = lo_relative_path(LO_ABS_BINDIR, a->install);
    g_ptr_array_add(out, g_canonicalize_filename(rel, lo_exe_dir()));
    g_ptr_array_add(out, g_strdup(a->compiled));
    if (a->compiled2 != NULL) {
        g_ptr_array_add(out, g_strdup(a->compiled2));
    }
    return out;
}

static gboolean exists_as(const char *path, gboolean is_dir)
{
    return g_file_test(path, is_dir ? G_FILE_TEST_IS_DIR : G_FILE_TEST_IS_REGULAR);
}

char *lo_artifact_find(LoArtifact which, GError **error)
{
    const ArtifactInfo *a = &artifacts[which];
    const char *from_env = g_getenv(a->env);
    if (from_env != NULL && from_env[0] != '\0') {
        if (exists_as(from_env, a->is_dir)) {
            /* Absolute: paths handed to the guest (LD_LIBRARY_PATH) must not
             * depend on the folder the game runs in. */
            return g_canonicalize_filename(from_env, NULL);
        }
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "%s=%s: no such %s (%s)", a->env, from_env,
                    a->is_dir ? "directory" : "file", a->what);
        lo_error_fix(error, "unset %s to use the default, or point it at %s", a->env, a->what);
        return NULL;
    }
    g_autoptr(GPtrArray) tried = lo_artifact_candidates(which);
    for (guint i = 0; i < tried->len; i++) {
        const char *path = tried->pdata[i];
        if (exists_as(path, a->is_dir)) {
            return g_strdup(path);
        }
    }
    g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "%s not found", a->what);
    for (guint i = 0; i < tried->len; i++) {
        lo_error_note(error, "tried: %s", (const char *)tried->pdata[i]);
    }
    lo_error_fix(error, "%s", a->fix);
    return NULL;
}

/* $VAR when it is an absolute path, else ~/fallback. The XDG base
 * directory specification calls a relative value invalid, to be ignored
 * (GLib 2.74 uses it as it is: relative to wherever the command runs). */
static char *xdg_home(const char *var, const char *fallback)
{
    const char *value = g_getenv(var);
    if (value != NULL && g_path_is_absolute(value)) {
        return g_strdup(value);
    }
    return g_build_filename(g_get_home_dir(), fallback, NULL);
}

char *lo_sysroots_dir(void)
{
    g_autofree char *data = xdg_home("XDG_DATA_HOME", ".local/share");
    return g_build_filename(data, "qemu-lorelei", "sysroots", NULL);
}

char *lo_community_dir(void)
{
    g_autofree char *data = xdg_home("XDG_DATA_HOME", ".local/share");
    return g_build_filename(data, "qemu-lorelei", "community", NULL);
}

char *lo_cache_dir(void)
{
    g_autofree char *cache = xdg_home("XDG_CACHE_HOME", ".cache");
    return g_build_filename(cache, "qemu-lorelei", NULL);
}

char *lo_user_profiles_dir(void)
{
    g_autofree char *config = xdg_home("XDG_CONFIG_HOME", ".config");
    return g_build_filename(config, "qemu-lorelei", "profiles", NULL);
}

const char *lo_effective_host_arch(void)
{
    const char *pretend = g_getenv("LORELEI_HOST_ARCH");
    return pretend != NULL && pretend[0] != '\0' ? pretend : lo_host_arch();
}

gboolean lo_effective_host_is_x86_64(void)
{
    return strcmp(lo_effective_host_arch(), "x86_64") == 0;
}
