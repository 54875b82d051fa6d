/*
 * Guest-side SDL functions that are neither stdinc, threads nor RWops:
 * logging with a va_list, the game's base path, CPU features of the
 * emulated CPU, loading guest objects, GL/Vulkan entry points (guest stubs),
 * and the wrappers that fix arguments or results around generated stubs.
 */
#include <cpuid.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL2/SDL_vulkan.h>

#include "sdl2_guest.h"

extern char **environ;

SDL_GUEST void SDL_LogMessageV(int category, SDL_LogPriority priority, const char *fmt, va_list ap)
{
    char *message = NULL;
    if (SDL_vasprintf(&message, fmt, ap) >= 0) {
        SDL_LogMessage(category, priority, "%s", message);
        SDL_free(message);
    }
}

/* /proc/self/exe is the game for the guest (QEMU answers for it), but
 * QEMU's own binary for the host's SDL. */
SDL_GUEST char *SDL_GetBasePath(void)
{
    char path[4096];
    ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);
    if (len <= 0) {
        SDL_SetError("Couldn't locate our executable");
        return NULL;
    }
    path[len] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash) {
        SDL_SetError("Couldn't locate our executable");
        return NULL;
    }
    slash[1] = '\0';
    return SDL_strdup(path);
}

/* ---- the emulated CPU's features -------------------------------------------------- */

static unsigned int cpuid_reg(unsigned int leaf, int reg)
{
    unsigned int r[4] = {0};
    if (leaf < 0x80000000u ? __get_cpuid_max(0, NULL) < leaf
                           : __get_cpuid_max(0x80000000u, NULL) < leaf) {
        return 0;
    }
    __cpuid_count(leaf, 0, r[0], r[1], r[2], r[3]);
    return r[reg];
}

enum { EAX, EBX, ECX, EDX };
#define CPUID_TSC (1u << 4) /* leaf 1, edx: <cpuid.h> has no name for it */

static SDL_bool os_saves_ymm(void)
{
    if (!(cpuid_reg(1, ECX) & bit_OSXSAVE)) {
        return SDL_FALSE;
    }
    unsigned int lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 6) == 6 ? SDL_TRUE : SDL_FALSE;
}

SDL_GUEST SDL_bool SDL_HasRDTSC(void)
{
    return (cpuid_reg(1, EDX) & CPUID_TSC) != 0;
}
SDL_GUEST SDL_bool SDL_HasAltiVec(void)
{
    return SDL_FALSE;
}
SDL_GUEST SDL_bool SDL_HasMMX(void)
{
    return (cpuid_reg(1, EDX) & bit_MMX) != 0;
}
SDL_GUEST SDL_bool SDL_Has3DNow(void)
{
    return (cpuid_reg(0x80000001u, EDX) & bit_3DNOW) != 0;
}
SDL_GUEST SDL_bool SDL_HasSSE(void)
{
    return (cpuid_reg(1, EDX) & bit_SSE) != 0;
}
SDL_GUEST SDL_bool SDL_HasSSE2(void)
{
    return (cpuid_reg(1, EDX) & bit_SSE2) != 0;
}
SDL_GUEST SDL_bool SDL_HasSSE3(void)
{
    return (cpuid_reg(1, ECX) & bit_SSE3) != 0;
}
SDL_GUEST SDL_bool SDL_HasSSE41(void)
{
    return (cpuid_reg(1, ECX) & bit_SSE4_1) != 0;
}
SDL_GUEST SDL_bool SDL_HasSSE42(void)
{
    return (cpuid_reg(1, ECX) & bit_SSE4_2) != 0;
}
SDL_GUEST SDL_bool SDL_HasAVX(void)
{
    return (cpuid_reg(1, ECX) & bit_AVX) && os_saves_ymm();
}
SDL_GUEST SDL_bool SDL_HasAVX2(void)
{
    return (cpuid_reg(7, EBX) & bit_AVX2) && os_saves_ymm();
}
SDL_GUEST SDL_bool SDL_HasAVX512F(void)
{
    if (!(cpuid_reg(7, EBX) & bit_AVX512F) || !os_saves_ymm()) {
        return SDL_FALSE;
    }
    unsigned int lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xe0) == 0xe0 ? SDL_TRUE : SDL_FALSE;
}
SDL_GUEST SDL_bool SDL_HasARMSIMD(void)
{
    return SDL_FALSE;
}
SDL_GUEST SDL_bool SDL_HasNEON(void)
{
    return SDL_FALSE;
}
SDL_GUEST SDL_bool SDL_HasLSX(void)
{
    return SDL_FALSE;
}
SDL_GUEST SDL_bool SDL_HasLASX(void)
{
    return SDL_FALSE;
}

SDL_GUEST int SDL_GetCPUCacheLineSize(void)
{
    unsigned int line = ((cpuid_reg(1, EBX) >> 8) & 0xff) * 8;
    return line ? (int)line : 64;
}

/* ---- guest objects ------------------------------------------------------------------ */

SDL_GUEST void *SDL_LoadObject(const char *sofile)
{
    void *handle = dlopen(sofile, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        SDL_SetError("Failed loading %s: %s", sofile, dlerror());
    }
    return handle;
}

SDL_GUEST void *SDL_LoadFunction(void *handle, const char *name)
{
    void *symbol = dlsym(handle, name);
    if (!symbol) {
        /* As SDL: some platforms prefix symbols with an underscore. */
        char *underscored = SDL_malloc(strlen(name) + 2);
        if (underscored) {
            underscored[0] = '_';
            strcpy(underscored + 1, name);
            symbol = dlsym(handle, underscored);
            SDL_free(underscored);
        }
        if (!symbol) {
            SDL_SetError("Failed loading %s: %s", name, dlerror());
        }
    }
    return symbol;
}

SDL_GUEST void SDL_UnloadObject(void *handle)
{
    if (handle) {
        dlclose(handle);
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

/* The host's SDL reads its environment (video/audio drivers, hints), but
 * the game set its variables in the guest's: hand them over first. */
static void sync_environment(void)
{
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        size_t len = eq ? (size_t)(eq - *e) : 0;
        if (!eq || !(strncmp(*e, "SDL_", 4) == 0 || (len == 8 && !strncmp(*e, "AUDIODEV", 8)))) {
            continue;
        }
        /* It names the x86_64 stub, for a game's own SDL: never the host's. */
        if (len == 15 && !strncmp(*e, "SDL_DYNAMIC_API", 15)) {
            continue;
        }
        char name[256];
        if (len >= sizeof(name)) {
            continue;
        }
        memcpy(name, *e, len);
        name[len] = '\0';
        lorelei_thunk_SDL_setenv(name, eq + 1, 1);
    }
}

SDL_GUEST int SDL_Init(Uint32 flags)
{
    return SDL_InitSubSystem(flags);
}

SDL_GUEST int SDL_InitSubSystem(Uint32 flags)
{
    sync_environment();
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
