/*
 * Host half of the GL stub's special cases (gl.toml), compiled into the
 * plugin next to the generated thunks:
 * - lorelei_gl_resolve finds each function: with GLVND most GL entry points
 *   and every GLX extension function are only reachable through
 *   glXGetProcAddressARB, EGL extensions through eglGetProcAddress;
 * - eglGetPlatformDisplay[EXT] with the guest's X11 connection get the host
 *   connection standing for it (thunklibs/x11/x11_host.c);
 * - X errors on those host connections are queued for the guest's error
 *   handler instead of ending the game in the host's default handler;
 * - glGetPointerv(GL_DEBUG_CALLBACK_FUNCTION) answers with the guest's
 *   callback, not the host trampoline standing for it;
 * - a context the host's SDL made current on its own X connection gets a
 *   guest connection standing for that one (glXGetCurrentDisplay).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "gl_api.h"
#include "lorelei-host.h"

void *lorelei_x11_host_display(uint64_t guest);
uint64_t lorelei_x11_guest_display(void *host);
int lorelei_x11_stand_in(uint64_t guest, void *host);
void *lorelei_xcb_host_connection(uint64_t guest);

extern const struct lorelei_host_lib lorelei_lib_gl;

void *lorelei_gl_resolve(const struct lorelei_host_lib *lib, void *handle, const char *name);
EGLDisplay lorelei_egl_get_platform_display(void *native, EGLenum platform, void *native_display,
                                            const EGLAttrib *attribs);
EGLDisplay lorelei_egl_get_platform_display_ext(void *native, EGLenum platform,
                                                void *native_display, const EGLint *attribs);
void lorelei_gl_get_pointerv(void *native, GLenum pname, void **params);
int lorelei_gl_take_x_error(void *native, XErrorEvent *event);
int lorelei_gl_stand_in_display(void *native, void *guest_display);

/* ---- resolving ------------------------------------------------------------------ */

static struct {
    void *egl; /* libEGL.so.1 */
    void *(*egl_get_proc)(const char *);
    void *(*glx_get_proc)(const GLubyte *);
} host;
static pthread_once_t host_once = PTHREAD_ONCE_INIT;
static void *gl_handle;

static void install_x_error_handler(void);

static void open_host(void)
{
    host.glx_get_proc = (void *(*)(const GLubyte *))dlsym(gl_handle, "glXGetProcAddressARB");
    host.egl = dlopen("libEGL.so.1", RTLD_NOW | RTLD_LOCAL);
    if (host.egl) {
        host.egl_get_proc = (void *(*)(const char *))dlsym(host.egl, "eglGetProcAddress");
    }
    install_x_error_handler();
}

void *lorelei_gl_resolve(const struct lorelei_host_lib *lib, void *handle, const char *name)
{
    (void)lib;
    gl_handle = handle; /* the same on every call: libGL.so.1 */
    pthread_once(&host_once, open_host);
    if (strcmp(name, "__lorelei_gl_take_x_error") == 0) {
        /* The stub's own hidden function: its host_impl is all there is. */
        return (void *)lorelei_gl_take_x_error;
    }
    if (strcmp(name, "__lorelei_gl_stand_in_display") == 0) {
        /* Its host_impl asks the real one which Display is current. */
        return dlsym(handle, "glXGetCurrentDisplay");
    }
    if (strncmp(name, "egl", 3) == 0) {
        void *fn = host.egl ? dlsym(host.egl, name) : NULL;
        return fn || !host.egl_get_proc ? fn : host.egl_get_proc(name);
    }
    void *fn = dlsym(handle, name);
    return fn || !host.glx_get_proc ? fn : host.glx_get_proc((const GLubyte *)name);
}

/* ---- EGL native displays --------------------------------------------------------- */

#ifndef EGL_PLATFORM_XCB_EXT
#define EGL_PLATFORM_XCB_EXT 0x31DC
#endif

/* The guest stub already refused kinds the host cannot stand in for. */
static void *host_native_display(EGLenum platform, void *guest)
{
    switch (platform) {
    case EGL_PLATFORM_X11_KHR:
        return lorelei_x11_host_display((uint64_t)(uintptr_t)guest);
    case EGL_PLATFORM_XCB_EXT:
        return lorelei_xcb_host_connection((uint64_t)(uintptr_t)guest);
    default:
        return guest; /* NULL, or a host EGLDeviceEXT handle */
    }
}

EGLDisplay lorelei_egl_get_platform_display(void *native, EGLenum platform, void *native_display,
                                            const EGLAttrib *attribs)
{
    __typeof__(&eglGetPlatformDisplay) fn = (__typeof__(&eglGetPlatformDisplay))native;
    return fn(platform, host_native_display(platform, native_display), attribs);
}

EGLDisplay lorelei_egl_get_platform_display_ext(void *native, EGLenum platform,
                                                void *native_display, const EGLint *attribs)
{
    __typeof__(&eglGetPlatformDisplayEXT) fn = (__typeof__(&eglGetPlatformDisplayEXT))native;
    return fn(platform, host_native_display(platform, native_display), attribs);
}

/* ---- X errors ------------------------------------------------------------------------ */

/* Errors of the host connections that stand for guest ones, oldest first,
 * until the guest stub takes them after its next GLX call. */
enum { MAX_X_ERRORS = 32 };
static XErrorEvent x_errors[MAX_X_ERRORS];
static unsigned n_x_errors, first_x_error;
/* Error-checking: see fork_prepare. */
static pthread_mutex_t x_error_lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
static bool x_error_lock_held_for_fork;
static XErrorHandler previous_handler;

/* fork(): the child must not inherit the queue's lock held by a thread it
 * does not have. */
static void fork_prepare(void)
{
    /* Fails (EDEADLK) instead of waiting forever if the forking thread holds
     * it itself: a host library forking in code run under it. */
    x_error_lock_held_for_fork = pthread_mutex_lock(&x_error_lock) == 0;
}

static void fork_parent(void)
{
    if (x_error_lock_held_for_fork) {
        pthread_mutex_unlock(&x_error_lock);
    }
}

/* The child's thread has another thread id than the one that took it, and
 * an error-checking mutex knows its owner by id: made anew, not unlocked. */
static void fork_child(void)
{
    x_error_lock = (pthread_mutex_t)PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
}

__attribute__((constructor)) static void register_fork_handlers(void)
{
    pthread_atfork(fork_prepare, fork_parent, fork_child);
}

static int on_x_error(Display *dpy, XErrorEvent *event)
{
    uint64_t guest = lorelei_x11_guest_display(dpy);
    if (!guest) {
        /* A connection a host library opened on its own (SDL's). */
        return previous_handler ? previous_handler(dpy, event) : 0;
    }
    pthread_mutex_lock(&x_error_lock);
    if (n_x_errors < MAX_X_ERRORS) {
        XErrorEvent *e = &x_errors[(first_x_error + n_x_errors++) % MAX_X_ERRORS];
        *e = *event;
        e->display = (Display *)(uintptr_t)guest;
    }
    pthread_mutex_unlock(&x_error_lock);
    return 0;
}

static void install_x_error_handler(void)
{
    /* libGL.so.1 links libX11: its XSetErrorHandler is the host's. */
    XErrorHandler (*set)(XErrorHandler) =
        (XErrorHandler(*)(XErrorHandler))dlsym(gl_handle, "XSetErrorHandler");
    if (set) {
        previous_handler = set(on_x_error);
    }
}

int lorelei_gl_take_x_error(void *native, XErrorEvent *event)
{
    (void)native;
    int taken = 0;
    pthread_mutex_lock(&x_error_lock);
    if (n_x_errors) {
        *event = x_errors[first_x_error];
        first_x_error = (first_x_error + 1) % MAX_X_ERRORS;
        n_x_errors--;
        taken = 1;
    }
    pthread_mutex_unlock(&x_error_lock);
    return taken;
}

/* ---- the current Display of a context a host library made ----------------------- */

/* native: the host's glXGetCurrentDisplay. The current context's Display is
 * a connection the host's SDL opened (no guest connection stands for it):
 * from now on the guest's new connection guest_display does, in both
 * directions. Returns 0 if no context is current. */
int lorelei_gl_stand_in_display(void *native, void *guest_display)
{
    Display *host = ((Display * (*)(void)) native)();
    if (!host || !guest_display) {
        return 0;
    }
    return lorelei_x11_stand_in((uint64_t)(uintptr_t)guest_display, host);
}

/* ---- debug callbacks ---------------------------------------------------------------- */

void lorelei_gl_get_pointerv(void *native, GLenum pname, void **params)
{
    ((void (*)(GLenum, void **))native)(pname, params);
    if (pname != GL_DEBUG_CALLBACK_FUNCTION || !params || !*params) {
        return;
    }
    for (uint32_t sig = 0; sig < lorelei_lib_gl.n_sigs; sig++) {
        uint64_t guest = lorelei_guest_callback(&lorelei_lib_gl, sig, *params);
        if (guest) {
            *params = (void *)(uintptr_t)guest;
            return;
        }
    }
}
