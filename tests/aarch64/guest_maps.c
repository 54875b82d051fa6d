/*
 * x86_64 guest program for the aarch64 lane's leak check
 * (run_sysroot_leaks.py): it loads what a game loads, then prints its own
 * /proc/self/maps, in which QEMU shows the host path of every file the
 * guest mapped. Linked like a game: the SDL2, OpenGL and Vulkan stubs (the
 * libraries qemu-lorelei forwards), libX11, libm, libz and libstdc++ (which
 * must come from the x86_64 sysroot). It initialises SDL's video, makes an
 * OpenGL context in a window and a Vulkan instance, so the stubs' own
 * loading (and whatever they load) has happened before the maps are read.
 *
 * Output: "renderer: ..." and "vulkan: ..." lines, then "--- maps", the
 * maps, "--- end". Exit status 0 when every step worked. It also sets the
 * user's locale first, as games do: the locale's files are mapped too.
 */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <GL/gl.h>
#include <SDL2/SDL.h>
#include <X11/Xlib.h>
#include <vulkan/vulkan.h>
#include <zlib.h>

/* From libstdc++: a C program does not use it by itself, games do. */
extern void *_Znwm(unsigned long size);
extern void _ZdlPv(void *ptr);

static int print_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL) {
        perror("/proc/self/maps");
        return 1;
    }
    printf("--- maps\n");
    char line[4096];
    while (fgets(line, sizeof line, f) != NULL) {
        fputs(line, stdout);
    }
    fclose(f);
    printf("--- end\n");
    return 0;
}

static int make_gl_context(void)
{
    SDL_Window *w = SDL_CreateWindow("lorelei-maps", 0, 0, 64, 64, SDL_WINDOW_OPENGL);
    if (w == NULL) {
        fprintf(stderr, "SDL_CreateWindow: %s\n", SDL_GetError());
        return 1;
    }
    SDL_GLContext ctx = SDL_GL_CreateContext(w);
    if (ctx == NULL) {
        fprintf(stderr, "SDL_GL_CreateContext: %s\n", SDL_GetError());
        return 1;
    }
    const GLubyte *renderer = glGetString(GL_RENDERER);
    printf("renderer: %s\n", renderer ? (const char *)renderer : "(none)");
    return renderer == NULL;
}

static int make_vulkan_instance(void)
{
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "lorelei-maps",
        .apiVersion = VK_API_VERSION_1_0,
    };
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
    };
    VkInstance instance;
    VkResult r = vkCreateInstance(&info, NULL, &instance);
    if (r != VK_SUCCESS) {
        fprintf(stderr, "vkCreateInstance: %d\n", (int)r);
        return 1;
    }
    uint32_t n = 0;
    vkEnumeratePhysicalDevices(instance, &n, NULL);
    printf("vulkan: %u physical device(s)\n", n);
    vkDestroyInstance(instance, NULL);
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    /* As games do: the user's locale (LANG), whose files are mapped too. */
    const char *locale = setlocale(LC_ALL, "");
    printf("locale: %s\n", locale ? locale : "(not found: C)");
    void *cxx = _Znwm(16);
    _ZdlPv(cxx);
    volatile double x = 27.0; /* not folded at compile time: libm is called */
    printf("zlib %s, cbrt(27) = %.0f\n", zlibVersion(), cbrt(x));
    Display *dpy = XOpenDisplay(NULL);
    if (dpy == NULL) {
        fprintf(stderr, "XOpenDisplay failed (DISPLAY=%s)\n", getenv("DISPLAY"));
        return 1;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    int status = make_gl_context() | make_vulkan_instance();
    status |= print_maps();
    fflush(stdout);
    /* The maps are printed: no need to tear down what a game would. */
    XCloseDisplay(dpy);
    return status;
}
