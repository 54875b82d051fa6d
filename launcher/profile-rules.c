#include "profile-rules.h"

#include <string.h>

const char *const lo_thunk_names[LO_N_THUNKS + 1] = {
    "sdl2", "gl", "vulkan", "openal", "zlib", "vorbisfile", NULL,
};
const char *const lo_status_names[] = {"playable", "runs", "broken", NULL};
const char *const lo_log_items[] = {"unimp", "guest_errors", "strace", "plugin", "page", NULL};

gboolean lo_id_is_reserved(const char *id)
{
    static const char *const reserved[] = {LO_RESERVED_IDS, NULL};
    return g_strv_contains(reserved, id);
}

int lo_thunk_from_name(const char *name)
{
    for (int i = 0; i < LO_N_THUNKS; i++) {
        if (strcmp(lo_thunk_names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

gboolean lo_pattern_match(const char *pattern, const char *text)
{
    /* The patterns are few and fixed: compile each once. */
    static GHashTable *cache;
    static GMutex lock;
    g_mutex_lock(&lock);
    if (cache == NULL) {
        cache = g_hash_table_new(g_str_hash, g_str_equal);
    }
    GRegex *re = g_hash_table_lookup(cache, pattern);
    if (re == NULL) {
        g_autoptr(GError) error = NULL;
        /* DOLLAR_ENDONLY: "$" must not accept a trailing newline. */
        re = g_regex_new(pattern, G_REGEX_DOLLAR_ENDONLY, 0, &error);
        g_assert_no_error(error);
        g_hash_table_insert(cache, (gpointer)pattern, re);
    }
    g_mutex_unlock(&lock);
    return g_regex_match(re, text, 0, NULL);
}

static gboolean is_control(gunichar c, gboolean allow_tab_newline)
{
    if (allow_tab_newline && (c == '\t' || c == '\n')) {
        return FALSE;
    }
    return c < 0x20 || (c >= 0x7f && c <= 0x9f);
}

static gboolean check_chars(const char *s, gboolean allow_tab_newline, gunichar *bad)
{
    for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (is_control(c, allow_tab_newline)) {
            if (bad != NULL) {
                *bad = c;
            }
            return FALSE;
        }
    }
    return TRUE;
}

gboolean lo_is_line(const char *s, gunichar *bad)
{
    return check_chars(s, FALSE, bad);
}

gboolean lo_is_text(const char *s, gunichar *bad)
{
    return check_chars(s, TRUE, bad);
}

/*
 * The allow-list. Every entry was read up: the variable is consumed by SDL2,
 * Mesa (its loader, llvmpipe, RADV) or NVIDIA's driver, changes only how
 * they draw, sound or pace frames, and the values allowed here never name a
 * file, folder, library or device. Left out on purpose, for example:
 * GALLIUM_TRACE, MESA_LOG_FILE, SDL_DISKAUDIOFILE(IN) (files written or read
 * in the game's working folder), SDL_PATH_DSP (a device path), RADV_DEBUG
 * (some flags write dumps), SDL_AUDIODRIVER=disk and =dsp (they open those
 * files), *_DRIVERS_PATH, *_LIBRARY, SDL_DYNAMIC_API, SDL_VIDEO_GL_DRIVER
 * (libraries to load), MESA_SHADER_CACHE_DIR (a folder).
 */
const LoEnvRule lo_env_rules[] = {
    /* SDL2: the host's (forwarded) or the sysroot's (emulated). */
    {"SDL_VIDEODRIVER", "^(x11|wayland)$", "x11 or wayland",
     "picks SDL's window-system backend; both talk to the desktop's display server"},
    {"SDL_AUDIODRIVER", "^(pipewire|pulseaudio|alsa|jack|dummy)$",
     "pipewire, pulseaudio, alsa, jack or dummy",
     "picks SDL's sound backend among those that talk to a sound server or ALSA; disk and dsp "
     "are left out because they open files"},
    {"SDL_RENDER_DRIVER", "^(opengl|opengles2|opengles|software)$",
     "opengl, opengles2, opengles or software",
     "picks the renderer behind SDL's 2D API; each is built into SDL"},
    {"SDL_RENDER_VSYNC", "^[01]$", "0 or 1", "whether SDL's 2D renderer waits for vertical blank"},
    {"SDL_RENDER_SCALE_QUALITY", "^(nearest|linear|best|[012])$",
     "nearest, linear, best, 0, 1 or 2", "texture filtering of SDL's 2D renderer"},
    {"SDL_VIDEO_X11_FORCE_EGL", "^[01]$", "0 or 1",
     "whether SDL makes OpenGL windows on X11 through EGL instead of GLX"},
    {"SDL_VIDEO_X11_NET_WM_BYPASS_COMPOSITOR", "^[01]$", "0 or 1",
     "whether the window asks the compositor to step aside (a window-manager hint)"},
    {"SDL_VIDEO_X11_XRANDR", "^[01]$", "0 or 1", "whether SDL uses XRandR for display modes"},
    {"SDL_VIDEO_WAYLAND_ALLOW_LIBDECOR", "^[01]$", "0 or 1",
     "whether SDL draws window decorations through libdecor on Wayland"},
    {"SDL_VIDEO_MINIMIZE_ON_FOCUS_LOSS", "^[01]$", "0 or 1",
     "whether a fullscreen window minimizes when it loses focus"},
    {"SDL_MOUSE_RELATIVE_MODE_WARP", "^[01]$", "0 or 1",
     "whether relative mouse mode warps the pointer instead of using raw input"},
    {"SDL_JOYSTICK_HIDAPI", "^[01]$", "0 or 1",
     "whether controllers are read through SDL's HIDAPI drivers or the kernel's joystick devices"},
    /* Mesa: the host's (forwarded GL and Vulkan) or the sysroot's (emulated). */
    {"vblank_mode", "^[0-3]$", "0, 1, 2 or 3",
     "Mesa's swap-interval policy (driconf); 0 never waits for vertical blank"},
    {"mesa_glthread", "^(true|false)$", "true or false",
     "Mesa's threaded OpenGL dispatch (driconf)"},
    {"MESA_GL_VERSION_OVERRIDE", "^[1-4]\\.[0-9](FC|COMPAT)?$", "a version such as 3.3, 4.5COMPAT",
     "the OpenGL version Mesa reports, for games that check it too strictly"},
    {"MESA_GLSL_VERSION_OVERRIDE", "^[1-4][0-9]0$", "a GLSL version such as 330 or 450",
     "the GLSL version Mesa accepts"},
    {"MESA_GLES_VERSION_OVERRIDE", "^[1-3]\\.[0-9]$", "a version such as 3.1",
     "the OpenGL ES version Mesa reports"},
    {"MESA_EXTENSION_OVERRIDE", "^[-+ A-Za-z0-9_]{1,1024}$",
     "extension names with + or - (e.g. -GL_ARB_foo)",
     "extensions Mesa adds or hides, for games that misuse one"},
    {"MESA_EXTENSION_MAX_YEAR", "^(19|20)[0-9][0-9]$", "a year such as 2006",
     "hides extensions newer than a year (old games overflow a long extension string)"},
    {"MESA_NO_ERROR", "^[01]$", "0 or 1", "whether Mesa skips OpenGL error checking"},
    {"MESA_SHADER_CACHE_DISABLE", "^(true|false|0|1)$", "true, false, 0 or 1",
     "turns Mesa's shader cache off (its folder is not something a profile may choose)"},
    {"MESA_VK_WSI_PRESENT_MODE", "^(fifo|relaxed|mailbox|immediate)$",
     "fifo, relaxed, mailbox or immediate", "the present mode of Mesa's Vulkan swapchains"},
    {"MESA_LOADER_DRIVER_OVERRIDE", "^[a-z0-9_]{1,32}$", "a driver name such as zink or iris",
     "which installed Mesa driver loads; a bare name, found only in Mesa's own driver folder"},
    {"GALLIUM_DRIVER", "^(llvmpipe|softpipe|zink)$", "llvmpipe, softpipe or zink",
     "which driver Mesa's software path uses"},
    {"LIBGL_ALWAYS_SOFTWARE", "^(0|1|true|false)$", "0, 1, true or false",
     "forces Mesa's software renderer"},
    {"LIBGL_DRI3_DISABLE", "^(0|1|true|false)$", "0, 1, true or false",
     "makes Mesa use DRI2 instead of DRI3 on X11"},
    {"LP_NUM_THREADS", "^[0-9]{1,3}$", "a number of threads (0-999)",
     "how many threads llvmpipe renders with"},
    {"LP_NATIVE_VECTOR_WIDTH", "^(128|256)$", "128 or 256",
     "the SIMD width llvmpipe generates code for"},
    {"RADV_PERFTEST", "^[a-z0-9_]{1,64}$", "one RADV feature name such as gpl or nggc",
     "turns on one experimental RADV feature; RADV_DEBUG is left out (some flags write dumps)"},
    /* NVIDIA's driver (host only). */
    {"__GL_SYNC_TO_VBLANK", "^[01]$", "0 or 1", "whether NVIDIA's driver waits for vertical blank"},
    {"__GL_THREADED_OPTIMIZATIONS", "^[01]$", "0 or 1", "NVIDIA's threaded OpenGL optimizations"},
    {"__GL_SHADER_DISK_CACHE", "^[01]$", "0 or 1",
     "turns NVIDIA's shader cache on or off (its folder is not something a profile may choose)"},
    {NULL, NULL, NULL, NULL},
};

const LoEnvRule *lo_env_rule(const char *name)
{
    for (const LoEnvRule *r = lo_env_rules; r->name != NULL; r++) {
        if (strcmp(r->name, name) == 0) {
            return r;
        }
    }
    return NULL;
}

const char *lo_env_key_refusal(const char *key)
{
    if (g_str_has_prefix(key, "LD_")) {
        return "LD_* variables are never allowed: they decide which libraries load";
    }
    if (g_str_has_prefix(key, "QEMU_")) {
        return "QEMU_* variables are never allowed: they change how QEMU runs the game";
    }
    if (lo_env_rule(key) == NULL) {
        return "not on the allow-list of variables known to be harmless (docs/profiles.md "
               "lists them; anything that names a file, folder or library to open never is)";
    }
    return NULL;
}

const char *lo_env_value_refusal(const char *value)
{
    if (g_utf8_strlen(value, -1) > LO_MAX_ENV_VALUE_CHARS) {
        return "longer than " G_STRINGIFY(LO_MAX_ENV_VALUE_CHARS) " characters";
    }
    if (!lo_is_line(value, NULL)) {
        return "contains a control character";
    }
    if (strchr(value, '/') != NULL) {
        return "contains '/': a profile's environment values may not be paths";
    }
    if (strchr(value, ',') != NULL) {
        return "contains ',': qemu-user's -E option splits values at commas";
    }
    return NULL;
}

gboolean lo_env_value_allowed(const LoEnvRule *rule, const char *value)
{
    return lo_env_value_refusal(value) == NULL && lo_pattern_match(rule->pattern, value);
}
