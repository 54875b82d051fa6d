/*
 * Guest-side SDL functions that are not SDL's own code, because they differ
 * from it: logging with a va_list (SDL_log.c's state is the host's), the
 * GL/Vulkan entry points (qemu-lorelei's guest stubs, not the host's
 * functions), and the wrappers that fix arguments or results around
 * generated stubs.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include <SDL2/SDL_vulkan.h>

#include "sdl2_guest.h"

SDL_GUEST void SDL_LogMessageV(int category, SDL_LogPriority priority, const char *fmt, va_list ap)
{
    char *message = NULL;
    if (SDL_vasprintf(&message, fmt, ap) >= 0) {
        SDL_LogMessage(category, priority, "%s", message);
        SDL_free(message);
    }
}

/* ---- GL and Vulkan entry points: qemu-lorelei's guest stubs ---------------------------- */

static void *stub_symbol(const char *soname, const char *symbol)
{
    void *lib = dlopen(soname, RTLD_NOW | RTLD_GLOBAL);
    return lib ? dlsym(lib, symbol) : NULL;
}

SDL_GUEST void *SDL_GL_GetProcAddress(const char *proc)
{
    /* SDL uses EGL for GLES contexts and on Wayland, GLX otherwise: ask the
     * stub of the same library, which answers with guest stubs. */
    int profile = 0;
    SDL_GL_GetAttribute(SDL_GL_CONTEXT_PROFILE_MASK, &profile);
    const char *driver = SDL_GetCurrentVideoDriver();
    int egl = (profile & SDL_GL_CONTEXT_PROFILE_ES) || (driver && !strcmp(driver, "wayland"));
    void *(*lookup)(const char *) =
        egl ? (void *(*)(const char *))stub_symbol("libEGL.so.1", "eglGetProcAddress")
            : (void *(*)(const char *))stub_symbol("libGL.so.1", "glXGetProcAddressARB");
    void *fn = lookup ? lookup(proc) : NULL;
    if (!fn) {
        SDL_SetError("Failed loading %s", proc);
    }
    return fn;
}

SDL_GUEST void *SDL_Vulkan_GetVkGetInstanceProcAddr(void)
{
    void *fn = stub_symbol("libvulkan.so.1", "vkGetInstanceProcAddr");
    if (!fn) {
        SDL_SetError("No Vulkan loader has been loaded");
    }
    return fn;
}

/* ---- wrappers around generated stubs -------------------------------------------------- */

SDL_GUEST int SDL_Init(Uint32 flags)
{
    return SDL_InitSubSystem(flags);
}

/* The host's SDL reads its environment (video/audio drivers, hints), but the
 * game set its variables in the guest's: they are handed over first. And the
 * guest side turns SIGINT/SIGTERM into SDL_QUIT (sdl2_signals.c). */
SDL_GUEST int SDL_InitSubSystem(Uint32 flags)
{
    lorelei_sdl2_sync_environment();
    int r = lorelei_thunk_SDL_InitSubSystem(flags);
    if (r == 0) {
        lorelei_sdl2_install_quit_handlers(flags);
    }
    return r;
}

/* A connection of the guest's own libX11 to the game's display: the host's
 * Display* would drive the host's libX11 state from guest code. */
static void *guest_display;
static void open_guest_display(void)
{
    void *(*open_display)(const char *) =
        (void *(*)(const char *))stub_symbol("libX11.so.6", "XOpenDisplay");
    guest_display = open_display ? open_display(NULL) : NULL;
}

SDL_GUEST SDL_bool SDL_GetWindowWMInfo(SDL_Window *window, SDL_SysWMinfo *info)
{
    if (!lorelei_thunk_SDL_GetWindowWMInfo(window, info)) {
        return SDL_FALSE;
    }
    if (info->subsystem == SDL_SYSWM_X11) {
        static pthread_once_t once = PTHREAD_ONCE_INIT;
        pthread_once(&once, open_guest_display);
        if (!guest_display) {
            SDL_SetError("qemu-lorelei: cannot open the game's own X11 connection for "
                         "SDL_GetWindowWMInfo (is its libX11 installed in the sysroot?)");
            return SDL_FALSE;
        }
        info->info.x11.display = guest_display; /* the window id is the server's: kept */
        return SDL_TRUE;
    }
    if (info->subsystem == SDL_SYSWM_WAYLAND) {
        SDL_SetError("qemu-lorelei: Wayland objects of the host cannot be used by the game; "
                     "run it on X11 (SDL_VIDEODRIVER=x11)");
        return SDL_FALSE;
    }
    return SDL_TRUE;
}

SDL_GUEST SDL_Locale *SDL_GetPreferredLocales(void)
{
    SDL_Locale *host = lorelei_thunk_SDL_GetPreferredLocales();
    if (!host) {
        return NULL;
    }
    /* One block: the array (ended by language == NULL), then the strings. */
    size_t n = 0, strings = 0;
    for (; host[n].language; n++) {
        strings += strlen(host[n].language) + 1;
        strings += host[n].country ? strlen(host[n].country) + 1 : 0;
    }
    SDL_Locale *copy = SDL_malloc((n + 1) * sizeof(*copy) + strings);
    if (copy) {
        char *s = (char *)(copy + n + 1);
        for (size_t i = 0; i < n; i++) {
            copy[i].language = strcpy(s, host[i].language);
            s += strlen(s) + 1;
            copy[i].country = NULL;
            if (host[i].country) {
                copy[i].country = strcpy(s, host[i].country);
                s += strlen(s) + 1;
            }
        }
        copy[n].language = copy[n].country = NULL;
    } else {
        SDL_OutOfMemory();
    }
    lorelei_sdl2_host_free(host);
    return copy;
}

SDL_GUEST void *SDL_GetWindowICCProfile(SDL_Window *window, size_t *size)
{
    size_t n = 0;
    void *host = lorelei_thunk_SDL_GetWindowICCProfile(window, &n);
    if (size) {
        *size = 0;
    }
    if (!host) {
        return NULL;
    }
    void *copy = SDL_malloc(n);
    if (copy) {
        memcpy(copy, host, n);
        if (size) {
            *size = n;
        }
    } else {
        SDL_OutOfMemory();
    }
    lorelei_sdl2_host_free(host);
    return copy;
}
