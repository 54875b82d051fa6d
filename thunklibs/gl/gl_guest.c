/*
 * Guest-side functions of the GL stub (see gl.toml):
 * - procedure lookups answer with this stub's own functions, never host
 *   addresses (a host function pointer called by guest code would run host
 *   code under the emulator);
 * - XVisualInfo copies get the guest Display's Visual, and X errors the host
 *   connection got go to the guest's error handler;
 * - EGL display and surface creation keep the guest's X11 connection in step
 *   with the host's, and refuse native displays the host cannot stand in for;
 * - glXGetCurrentDisplay of a context the host's SDL made current answers
 *   with a guest connection standing for SDL's.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "gl_guest.h"
#include "lorelei-guest.h"

#define EXPORT __attribute__((visibility("default")))

/* Generated: this stub's exports, name -> address (NULL if unknown). */
void *lorelei_gl_lookup(const char *name);

/* Generated stubs under hidden names (guest_wrapper in gl.toml). */
extern __typeof__(eglGetDisplay) lorelei_thunk_eglGetDisplay;
extern __typeof__(eglGetPlatformDisplay) lorelei_thunk_eglGetPlatformDisplay;
extern __typeof__(eglGetPlatformDisplayEXT) lorelei_thunk_eglGetPlatformDisplayEXT;
extern __typeof__(eglCreateWindowSurface) lorelei_thunk_eglCreateWindowSurface;
extern __typeof__(eglCreatePlatformWindowSurface) lorelei_thunk_eglCreatePlatformWindowSurface;
extern __typeof__(eglCreatePlatformWindowSurfaceEXT)
    lorelei_thunk_eglCreatePlatformWindowSurfaceEXT;
extern __typeof__(eglCreatePixmapSurface) lorelei_thunk_eglCreatePixmapSurface;
extern __typeof__(eglCreatePlatformPixmapSurface) lorelei_thunk_eglCreatePlatformPixmapSurface;
extern __typeof__(eglCreatePlatformPixmapSurfaceEXT)
    lorelei_thunk_eglCreatePlatformPixmapSurfaceEXT;
int lorelei_thunk___lorelei_gl_take_x_error(XErrorEvent *event);
int lorelei_thunk___lorelei_gl_stand_in_display(void *guest_display);
extern __typeof__(glXGetCurrentDisplay) lorelei_thunk_glXGetCurrentDisplay;
extern __typeof__(glXGetCurrentDisplayEXT) lorelei_thunk_glXGetCurrentDisplayEXT;

/* The guest's own libX11 (loaded: the game passed a Display*). */
static void *guest_x11(const char *name)
{
    void *sym = dlsym(RTLD_DEFAULT, name);
    if (!sym) {
        fprintf(stderr,
                "qemu-lorelei: GL: the game passed an X11 Display, but %s is not "
                "loaded in it\n",
                name);
    }
    return sym;
}

/* ---- procedure lookups ---------------------------------------------------- */

/* GLX may answer non-NULL for any name; this stub knows every GL and GLX
 * function of the registry and answers NULL for the rest. */
EXPORT __GLXextFuncPtr glXGetProcAddressARB(const GLubyte *name)
{
    const char *s = (const char *)name;
    return s && strncmp(s, "gl", 2) == 0 ? (__GLXextFuncPtr)lorelei_gl_lookup(s) : NULL;
}

EXPORT void (*glXGetProcAddress(const GLubyte *name))(void)
{
    return glXGetProcAddressARB(name);
}

/* EGL 1.5 (and EGL_KHR_get_all_proc_addresses, which Mesa has): EGL and
 * client API functions, extensions or not; NULL for unknown names. */
EXPORT __eglMustCastToProperFunctionPointerType eglGetProcAddress(const char *name)
{
    if (!name || (strncmp(name, "egl", 3) != 0 && strncmp(name, "gl", 2) != 0) ||
        strncmp(name, "glX", 3) == 0) {
        return NULL;
    }
    return (__eglMustCastToProperFunctionPointerType)lorelei_gl_lookup(name);
}

/* GL_NV_draw_vulkan_image: would hand out host Vulkan functions. */
EXPORT GLVULKANPROCNV glGetVkProcAddrNV(const GLchar *name)
{
    (void)name;
    return NULL;
}

/* NVIDIA-internal, undocumented: its "fnptr" is a guest function the host
 * would have to call as host code. */
void glDevtoolsInvokeStreamedCallbackNVX(void *fnptr, void *userdata);
EXPORT void glDevtoolsInvokeStreamedCallbackNVX(void *fnptr, void *userdata)
{
    (void)fnptr;
    (void)userdata;
}

/* GLVND's libGLX.so.0 interface to its libGL.so.1 (libglxgl.h there): a
 * table of the GLX 1.4 functions (without glXGetCurrentDisplay, with
 * glXGetProcAddressARB) in this order, and a loader for the others. */
#define CORE(fn) (__GLXextFuncPtr) fn
EXPORT const __GLXextFuncPtr __GLXGL_CORE_FUNCTIONS[] = {
    CORE(glXChooseFBConfig),
    CORE(glXChooseVisual),
    CORE(glXCopyContext),
    CORE(glXCreateContext),
    CORE(glXCreateGLXPixmap),
    CORE(glXCreateNewContext),
    CORE(glXCreatePbuffer),
    CORE(glXCreatePixmap),
    CORE(glXCreateWindow),
    CORE(glXDestroyContext),
    CORE(glXDestroyGLXPixmap),
    CORE(glXDestroyPbuffer),
    CORE(glXDestroyPixmap),
    CORE(glXDestroyWindow),
    CORE(glXGetClientString),
    CORE(glXGetConfig),
    CORE(glXGetCurrentContext),
    CORE(glXGetCurrentDrawable),
    CORE(glXGetCurrentReadDrawable),
    CORE(glXGetFBConfigAttrib),
    CORE(glXGetFBConfigs),
    CORE(glXGetProcAddress),
    CORE(glXGetProcAddressARB),
    CORE(glXGetSelectedEvent),
    CORE(glXGetVisualFromFBConfig),
    CORE(glXIsDirect),
    CORE(glXMakeContextCurrent),
    CORE(glXMakeCurrent),
    CORE(glXQueryContext),
    CORE(glXQueryDrawable),
    CORE(glXQueryExtension),
    CORE(glXQueryExtensionsString),
    CORE(glXQueryServerString),
    CORE(glXQueryVersion),
    CORE(glXSelectEvent),
    CORE(glXSwapBuffers),
    CORE(glXUseXFont),
    CORE(glXWaitGL),
    CORE(glXWaitX),
};

__GLXextFuncPtr __glXGLLoadGLXFunction(const char *name, __GLXextFuncPtr *ptr, void *mutex);
EXPORT __GLXextFuncPtr __glXGLLoadGLXFunction(const char *name, __GLXextFuncPtr *ptr, void *mutex)
{
    (void)mutex; /* the lookup has no side effects: racing callers store the same value */
    __GLXextFuncPtr fn = __atomic_load_n(ptr, __ATOMIC_ACQUIRE);
    if (!fn) {
        fn = glXGetProcAddressARB((const GLubyte *)name);
        __atomic_store_n(ptr, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

/* ---- GLX results and errors --------------------------------------------- */

void lorelei_glx_guest_visuals(XVisualInfo *visuals, size_t n, Display *dpy)
{
    static _Atomic(void *) xfree_cache, get_visual_info_cache;
    int (*xfree)(void *) = (int (*)(void *))lorelei_cached_symbol(&xfree_cache, guest_x11, "XFree");
    XVisualInfo *(*get_visual_info)(Display *, long, XVisualInfo *, int *) =
        (XVisualInfo * (*)(Display *, long, XVisualInfo *, int *))
            lorelei_cached_symbol(&get_visual_info_cache, guest_x11, "XGetVisualInfo");
    for (size_t i = 0; i < n; i++) {
        XVisualInfo want = {.visualid = visuals[i].visualid, .screen = visuals[i].screen};
        int count = 0;
        XVisualInfo *found =
            get_visual_info && dpy
                ? get_visual_info(dpy, VisualIDMask | VisualScreenMask, &want, &count)
                : NULL;
        /* NULL (CopyFromParent) rather than a host Visual, should the guest's
         * connection not know the visual. */
        visuals[i].visual = found && count > 0 ? found[0].visual : NULL;
        if (found && xfree) {
            xfree(found);
        }
    }
}

/* The handler the game installed with XSetErrorHandler (or Xlib's default,
 * which prints the error and exits, as natively). Read, not asked for:
 * XSetErrorHandler reports the old handler only by installing another, and
 * an X error another thread got meanwhile would go to that one (with NULL:
 * Xlib's default, which ends the game). libX11 keeps the handler in
 * _XErrorFunction, NULL until the game installs one, and XSetErrorHandler
 * reports NULL as _XDefaultError; both are exported (Xlibint.h). */
static XErrorHandler game_error_handler(void)
{
    static _Atomic(void *) function_cache, default_cache;
    XErrorHandler *current =
        (XErrorHandler *)lorelei_cached_symbol(&function_cache, guest_x11, "_XErrorFunction");
    XErrorHandler handler = current ? __atomic_load_n(current, __ATOMIC_ACQUIRE) : NULL;
    return handler
               ? handler
               : (XErrorHandler)lorelei_cached_symbol(&default_cache, guest_x11, "_XDefaultError");
}

void lorelei_glx_x_errors(void *display)
{
    (void)display; /* errors name their own Display */
    XErrorEvent event;
    while (lorelei_thunk___lorelei_gl_take_x_error(&event)) {
        XErrorHandler handler = game_error_handler();
        if (handler && event.display) {
            handler(event.display, &event);
        }
    }
}

/* ---- the current Display ------------------------------------------------------ */

/* A context made current by the host's SDL (SDL_GL_CreateContext) belongs to
 * SDL's own host connection, for which the game has no Display*; natively
 * it would get SDL's. Give it a connection of its own libX11 to the same
 * server instead, paired with SDL's on the host: GLX calls on it then use
 * SDL's connection. NULL only when no context is current, as natively. */
static Display *current_display(Display *known)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static Display *stand_in;
    if (known || !glXGetCurrentContext()) {
        return known;
    }
    Display *result = NULL;
    pthread_mutex_lock(&lock);
    for (int attempt = 0; attempt < 2 && !result; attempt++) {
        if (!stand_in) {
            void *x11 = dlopen("libX11.so.6", RTLD_NOW | RTLD_GLOBAL);
            Display *(*open_display)(const char *) =
                x11 ? (Display * (*)(const char *)) dlsym(x11, "XOpenDisplay") : NULL;
            stand_in = open_display ? open_display(NULL) : NULL;
            if (!stand_in) {
                fprintf(stderr, "qemu-lorelei: GL: cannot open the game's own X11 connection "
                                "for glXGetCurrentDisplay (is its libX11 installed, DISPLAY "
                                "set?)\n");
                break;
            }
        }
        if (lorelei_thunk___lorelei_gl_stand_in_display(stand_in)) {
            result = stand_in;
        } else {
            stand_in = NULL; /* it stands for another connection: open one more */
        }
    }
    pthread_mutex_unlock(&lock);
    return result;
}

EXPORT Display *glXGetCurrentDisplay(void)
{
    return current_display(lorelei_thunk_glXGetCurrentDisplay());
}

EXPORT Display *glXGetCurrentDisplayEXT(void)
{
    return current_display(lorelei_thunk_glXGetCurrentDisplayEXT());
}

/* ---- EGL ---------------------------------------------------------------------- */

/* Which guest X connection each EGLDisplay was made from, to push the
 * guest's requests to the server before the host uses its windows. */
enum { MAX_EGL_DISPLAYS = 16 };
static struct {
    EGLDisplay egl;
    void *x11;
} egl_displays[MAX_EGL_DISPLAYS];
static int n_egl_displays;
static pthread_mutex_t egl_lock = PTHREAD_MUTEX_INITIALIZER;

static void note_display(EGLDisplay egl, void *x11)
{
    if (egl == EGL_NO_DISPLAY || !x11) {
        return;
    }
    pthread_mutex_lock(&egl_lock);
    int i = 0;
    while (i < n_egl_displays && egl_displays[i].egl != egl) {
        i++;
    }
    if (i == MAX_EGL_DISPLAYS) {
        i = 0; /* more X connections than any game opens: reuse the oldest */
    }
    egl_displays[i].egl = egl;
    egl_displays[i].x11 = x11;
    if (i == n_egl_displays) {
        n_egl_displays++;
    }
    pthread_mutex_unlock(&egl_lock);
}

static void sync_display(EGLDisplay egl)
{
    void *x11 = NULL;
    pthread_mutex_lock(&egl_lock);
    for (int i = 0; i < n_egl_displays && !x11; i++) {
        if (egl_displays[i].egl == egl) {
            x11 = egl_displays[i].x11;
        }
    }
    pthread_mutex_unlock(&egl_lock);
    if (x11) {
        lorelei_x11_sync(x11);
    }
}

/* Mesa tells native display kinds apart by their first word; a guest
 * wl_display or gbm_device has no host counterpart. */
static const char *foreign_display(void *native)
{
    void *first = *(void **)native;
    void *wayland = dlsym(RTLD_DEFAULT, "wl_display_interface");
    void *gbm = dlsym(RTLD_DEFAULT, "gbm_create_device");
    if (wayland && first == wayland) {
        return "a Wayland wl_display";
    }
    if (gbm && first == gbm) {
        return "a GBM device";
    }
    return NULL;
}

static EGLDisplay refuse(const char *what)
{
    fprintf(stderr,
            "qemu-lorelei: EGL: the game asked for a display on %s of its own; only "
            "X11 (Xlib or xcb), surfaceless and device displays can be forwarded to the "
            "host\n",
            what);
    return EGL_NO_DISPLAY;
}

EXPORT EGLDisplay eglGetDisplay(EGLNativeDisplayType native)
{
    const char *foreign = native ? foreign_display((void *)native) : NULL;
    if (foreign) {
        return refuse(foreign);
    }
    EGLDisplay dpy = lorelei_thunk_eglGetDisplay(native);
    note_display(dpy, (void *)native);
    return dpy;
}

#ifndef EGL_PLATFORM_XCB_EXT
#define EGL_PLATFORM_XCB_EXT 0x31DC
#endif

/* Before the host maps the native display (gl_host.c): flush it, refuse
 * kinds it cannot map. Returns the refusal's reason, or NULL. */
static const char *prepare_platform_display(EGLenum platform, void *native)
{
    if (!native) {
        return NULL; /* EGL_DEFAULT_DISPLAY: the host opens its own */
    }
    switch (platform) {
    case EGL_PLATFORM_X11_KHR:
        lorelei_x11_flush(native);
        return NULL;
    case EGL_PLATFORM_XCB_EXT:
        lorelei_xcb_flush(native);
        return NULL;
    case EGL_PLATFORM_GBM_KHR:
        return "a GBM device";
    case EGL_PLATFORM_WAYLAND_KHR:
        return "a Wayland wl_display";
    default:
        return NULL; /* device, surfaceless: host handles or nothing */
    }
}

EXPORT EGLDisplay eglGetPlatformDisplay(EGLenum platform, void *native, const EGLAttrib *attribs)
{
    const char *foreign = prepare_platform_display(platform, native);
    if (foreign) {
        return refuse(foreign);
    }
    EGLDisplay dpy = lorelei_thunk_eglGetPlatformDisplay(platform, native, attribs);
    if (platform == EGL_PLATFORM_X11_KHR) {
        note_display(dpy, native);
    }
    return dpy;
}

EXPORT EGLDisplay eglGetPlatformDisplayEXT(EGLenum platform, void *native, const EGLint *attribs)
{
    const char *foreign = prepare_platform_display(platform, native);
    if (foreign) {
        return refuse(foreign);
    }
    EGLDisplay dpy = lorelei_thunk_eglGetPlatformDisplayEXT(platform, native, attribs);
    if (platform == EGL_PLATFORM_X11_KHR) {
        note_display(dpy, native);
    }
    return dpy;
}

EXPORT EGLSurface eglCreateWindowSurface(EGLDisplay dpy, EGLConfig config, EGLNativeWindowType win,
                                         const EGLint *attribs)
{
    sync_display(dpy);
    return lorelei_thunk_eglCreateWindowSurface(dpy, config, win, attribs);
}

EXPORT EGLSurface eglCreatePlatformWindowSurface(EGLDisplay dpy, EGLConfig config, void *win,
                                                 const EGLAttrib *attribs)
{
    sync_display(dpy);
    return lorelei_thunk_eglCreatePlatformWindowSurface(dpy, config, win, attribs);
}

EXPORT EGLSurface eglCreatePlatformWindowSurfaceEXT(EGLDisplay dpy, EGLConfig config, void *win,
                                                    const EGLint *attribs)
{
    sync_display(dpy);
    return lorelei_thunk_eglCreatePlatformWindowSurfaceEXT(dpy, config, win, attribs);
}

EXPORT EGLSurface eglCreatePixmapSurface(EGLDisplay dpy, EGLConfig config,
                                         EGLNativePixmapType pixmap, const EGLint *attribs)
{
    sync_display(dpy);
    return lorelei_thunk_eglCreatePixmapSurface(dpy, config, pixmap, attribs);
}

EXPORT EGLSurface eglCreatePlatformPixmapSurface(EGLDisplay dpy, EGLConfig config, void *pixmap,
                                                 const EGLAttrib *attribs)
{
    sync_display(dpy);
    return lorelei_thunk_eglCreatePlatformPixmapSurface(dpy, config, pixmap, attribs);
}

EXPORT EGLSurface eglCreatePlatformPixmapSurfaceEXT(EGLDisplay dpy, EGLConfig config, void *pixmap,
                                                    const EGLint *attribs)
{
    sync_display(dpy);
    return lorelei_thunk_eglCreatePlatformPixmapSurfaceEXT(dpy, config, pixmap, attribs);
}
