/*
 * gl_probe: exercises what the GL stub does beyond forwarding calls, and
 * prints one "name=value" line per fact. Run natively and under
 * qemu-lorelei; tests/gl/run_gl.py compares the two outputs (lines starting
 * with "info " may differ and are checked separately).
 *
 * Links the real libGL/libEGL/libX11; under qemu-lorelei the guest's
 * library path makes the stubs win.
 */
#define GL_GLEXT_PROTOTYPES 1
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <GL/gl.h>
#include <GL/glext.h>
#include <GL/glx.h>
#include <GL/glxext.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* XSetErrorHandler as the stub finds it (dlsym; this program is linked
 * -rdynamic): counts how often Xlib's default handler is installed while
 * the game has its own. To hand an X error to the game's handler, the GL
 * stub must read that handler without installing another meanwhile: Xlib's
 * default one exits the game when another thread's X error arrives in that
 * moment. (XOpenDisplay installs the default when there is none.) */
static int default_handler_installs, watching;
XErrorHandler XSetErrorHandler(XErrorHandler handler)
{
    static XErrorHandler (*real)(XErrorHandler);
    if (!real) {
        real = (XErrorHandler(*)(XErrorHandler))dlsym(RTLD_NEXT, "XSetErrorHandler");
    }
    default_handler_installs += watching && handler == NULL;
    return real(handler);
}

static int x_errors, last_x_error;
static int on_x_error(Display *dpy, XErrorEvent *e)
{
    (void)dpy;
    x_errors++;
    last_x_error = e->error_code;
    return 0;
}

static int debug_messages;
static pthread_t main_thread;
static int debug_on_main_thread = 1;
static char debug_text[128];
static void GLAPIENTRY on_debug(GLenum source, GLenum type, GLuint id, GLenum severity,
                                GLsizei length, const GLchar *message, const void *user)
{
    (void)source;
    (void)type;
    (void)severity;
    (void)length;
    if (id == 4242 && user == &debug_messages) {
        debug_messages++;
        snprintf(debug_text, sizeof debug_text, "%s", message);
        debug_on_main_thread &= pthread_equal(pthread_self(), main_thread);
    }
}

/* A string the library hands out must be usable in a system call. */
static int writable_to_pipe(const void *s, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0) {
        return 0;
    }
    ssize_t n = write(fds[1], s, len);
    int err = errno;
    close(fds[0]);
    close(fds[1]);
    if (n < 0) {
        printf("info write failed: %s\n", strerror(err));
    }
    return n == (ssize_t)len;
}

static const char *file_of(void *fn)
{
    Dl_info info;
    return fn && dladdr(fn, &info) && info.dli_fname ? info.dli_fname : "(none)";
}

static void glx_part(void)
{
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy) {
        printf("cannot open display\n");
        exit(2);
    }
    int attribs[] = {GLX_RGBA, GLX_DOUBLEBUFFER, GLX_RED_SIZE, 8, GLX_DEPTH_SIZE, 16, None};
    XVisualInfo *vi = glXChooseVisual(dpy, DefaultScreen(dpy), attribs);
    printf("choose_visual=%d\n", vi != NULL);
    if (!vi) {
        exit(1);
    }
    XVisualInfo want = {.visualid = vi->visualid, .screen = vi->screen};
    int n = 0;
    XVisualInfo *same = XGetVisualInfo(dpy, VisualIDMask | VisualScreenMask, &want, &n);
    printf("visual_is_the_displays=%d\n", same && n > 0 && same[0].visual == vi->visual);
    printf("visual_depth_matches=%d\n", same && n > 0 && same[0].depth == vi->depth);
    /* The game frees GLX results with XFree (free): they must be guest
     * memory, which a syscall accepts (docs/ownership.md). */
    printf("visual_guest_memory=%d\n", writable_to_pipe(vi, sizeof(*vi)));
    XFree(same);

    int nconfigs = 0;
    int fb_attribs[] = {GLX_RENDER_TYPE, GLX_RGBA_BIT, GLX_DOUBLEBUFFER, True, None};
    GLXFBConfig *configs = glXChooseFBConfig(dpy, DefaultScreen(dpy), fb_attribs, &nconfigs);
    printf("fbconfigs_found=%d\n", configs != NULL && nconfigs > 0);
    XVisualInfo *fbvi = configs ? glXGetVisualFromFBConfig(dpy, configs[0]) : NULL;
    printf("fbconfig_visual=%d\n", fbvi != NULL && fbvi->visual != NULL);
    printf("fbconfigs_guest_memory=%d\n",
           configs && writable_to_pipe(configs, (size_t)nconfigs * sizeof(*configs)));
    printf("fbconfig_visual_guest_memory=%d\n", fbvi && writable_to_pipe(fbvi, sizeof(*fbvi)));
    XFree(fbvi);

    XSetWindowAttributes swa = {
        .colormap = XCreateColormap(dpy, RootWindow(dpy, vi->screen), vi->visual, AllocNone)};
    Window win = XCreateWindow(dpy, RootWindow(dpy, vi->screen), 0, 0, 64, 64, 0, vi->depth,
                               InputOutput, vi->visual, CWColormap, &swa);
    XMapWindow(dpy, win);
    GLXContext ctx = glXCreateContext(dpy, vi, NULL, True);
    printf("create_context=%d\n", ctx != NULL);
    printf("make_current=%d\n", glXMakeCurrent(dpy, win, ctx));
    printf("current_display_is_ours=%d\n", glXGetCurrentDisplay() == dpy);
    printf("current_context_is_ours=%d\n", glXGetCurrentContext() == ctx);
    XFree(vi);

    /* Strings: guest memory (a syscall accepts them), stable pointers. */
    const GLubyte *renderer = glGetString(GL_RENDERER);
    printf("info renderer=%s\n", renderer);
    printf("renderer_writable=%d\n",
           renderer && writable_to_pipe(renderer, strlen((const char *)renderer)));
    printf("renderer_stable=%d\n", glGetString(GL_RENDERER) == renderer);
    const char *exts = glXQueryExtensionsString(dpy, DefaultScreen(dpy));
    printf("glx_extensions_writable=%d\n", exts && writable_to_pipe(exts, strlen(exts)));
    GLint n_ext = 0;
    glGetIntegerv(GL_NUM_EXTENSIONS, &n_ext);
    const GLubyte *ext0 = n_ext > 0 ? glGetStringi(GL_EXTENSIONS, 0) : NULL;
    printf("stringi_writable=%d\n", ext0 && writable_to_pipe(ext0, strlen((const char *)ext0)));

    /* Procedure lookups. */
    void *by_proc = (void *)glXGetProcAddressARB((const GLubyte *)"glClear");
    void *by_dlsym = dlsym(RTLD_DEFAULT, "glClear");
    printf("procaddr_found=%d\n", by_proc != NULL);
    printf("info procaddr_file=%s\n", file_of(by_proc));
    printf("info dlsym_file=%s\n", file_of(by_dlsym));
    printf("procaddr_ext_found=%d\n",
           glXGetProcAddressARB((const GLubyte *)"glXCreateContextAttribsARB") != NULL);
    printf("info procaddr_unknown=%p\n",
           (void *)glXGetProcAddressARB((const GLubyte *)"glNoSuchFunctionLorelei"));

    /* Drawing, and pixels read into guest memory. */
    glViewport(0, 0, 64, 64);
    glClearColor(1.0f, 0.5f, 0.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    unsigned char px[4] = {0};
    glReadPixels(32, 32, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    printf("read_pixels=%u,%u,%u,%u\n", px[0], px[1] >= 127 && px[1] <= 128 ? 128 : px[1], px[2],
           px[3]);
    glXSwapBuffers(dpy, win);

    /* Float, double and narrow results through the stubs' registers. */
    glClearDepth(0.25);
    GLdouble depth = 0;
    glGetDoublev(GL_DEPTH_CLEAR_VALUE, &depth);
    glPolygonOffset(1.5f, -2.5f);
    GLfloat factor = 0, units = 0;
    glGetFloatv(GL_POLYGON_OFFSET_FACTOR, &factor);
    glGetFloatv(GL_POLYGON_OFFSET_UNITS, &units);
    glEnable(GL_CULL_FACE);
    printf("clear_depth=%.2f polygon_offset=%.1f,%.1f is_enabled=%d,%d error=%#x\n", depth, factor,
           units, glIsEnabled(GL_CULL_FACE), glIsEnabled(GL_STENCIL_TEST), glGetError());

    /* A buffer the guest writes through a host mapping. */
    GLuint buf;
    glGenBuffers(1, &buf);
    glBindBuffer(GL_ARRAY_BUFFER, buf);
    glBufferData(GL_ARRAY_BUFFER, 16, NULL, GL_STATIC_DRAW);
    char *map = glMapBufferRange(GL_ARRAY_BUFFER, 0, 16, GL_MAP_WRITE_BIT);
    if (map) {
        memcpy(map, "lorelei-mapped!", 16);
    }
    glUnmapBuffer(GL_ARRAY_BUFFER);
    char back[16] = "";
    glGetBufferSubData(GL_ARRAY_BUFFER, 0, 16, back);
    printf("mapped_buffer=%s\n", back);

    /* Debug output: a guest callback called from inside the host's GL. */
    main_thread = pthread_self();
    glEnable(GL_DEBUG_OUTPUT);
    glEnable(GL_DEBUG_OUTPUT_SYNCHRONOUS);
    glDebugMessageCallback(on_debug, &debug_messages);
    glDebugMessageInsert(GL_DEBUG_SOURCE_APPLICATION, GL_DEBUG_TYPE_MARKER, 4242,
                         GL_DEBUG_SEVERITY_NOTIFICATION, -1, "hello from the guest");
    glFinish();
    printf("debug_messages=%d on_main_thread=%d text=%s\n", debug_messages, debug_on_main_thread,
           debug_text);
    void *cb = NULL;
    glGetPointerv(GL_DEBUG_CALLBACK_FUNCTION, &cb);
    printf("debug_callback_reads_back=%d\n", cb == (void *)on_debug);
    glDebugMessageCallback(NULL, NULL);

    /* An X error the host library raises goes to the game's handler. */
    PFNGLXCREATECONTEXTATTRIBSARBPROC create_attribs =
        (PFNGLXCREATECONTEXTATTRIBSARBPROC)glXGetProcAddressARB(
            (const GLubyte *)"glXCreateContextAttribsARB");
    XErrorHandler old = XSetErrorHandler(on_x_error);
    watching = 1;
    int bad_version[] = {GLX_CONTEXT_MAJOR_VERSION_ARB, 9, GLX_CONTEXT_MINOR_VERSION_ARB, 9, None};
    GLXContext bad =
        create_attribs && configs ? create_attribs(dpy, configs[0], NULL, True, bad_version) : NULL;
    XSync(dpy, False);
    watching = 0;
    XSetErrorHandler(old);
    printf("bad_context=%p x_errors=%d\n", (void *)bad, x_errors > 0);
    printf("info x_error_code=%d\n", last_x_error);
    printf("default_handler_installs=%d\n", default_handler_installs);
    XFree(configs);

    glXMakeCurrent(dpy, None, NULL);
    glXDestroyContext(dpy, ctx);
    XDestroyWindow(dpy, win);
    XCloseDisplay(dpy);
}

static void egl_part(void)
{
    PFNEGLGETPLATFORMDISPLAYEXTPROC get_display =
        (PFNEGLGETPLATFORMDISPLAYEXTPROC)eglGetProcAddress("eglGetPlatformDisplayEXT");
    printf("egl_procaddr_ext=%d\n", get_display != NULL);
    printf("egl_procaddr_unknown=%p\n", (void *)eglGetProcAddress("eglNoSuchFunctionLorelei"));
    EGLDisplay dpy = get_display ? get_display(EGL_PLATFORM_SURFACELESS_MESA, NULL, NULL) : NULL;
    EGLint major = 0, minor = 0;
    EGLBoolean initialized = eglInitialize(dpy, &major, &minor);
    printf("egl_initialize=%d version=%d.%d\n", initialized, major, minor);
    const char *vendor = eglQueryString(dpy, EGL_VENDOR);
    printf("egl_vendor=%s writable=%d\n", vendor,
           vendor && writable_to_pipe(vendor, strlen(vendor)));
    /* EGL_MESA_query_driver: a string the caller frees with free(). */
    char *(*driver_config)(EGLDisplay) =
        (char *(*)(EGLDisplay))eglGetProcAddress("eglGetDisplayDriverConfig");
    char *config_xml = driver_config ? driver_config(dpy) : NULL;
    printf("egl_driver_config=%d guest_memory=%d\n", config_xml != NULL,
           config_xml && writable_to_pipe(config_xml, strnlen(config_xml, 4096)));
    free(config_xml);
    eglBindAPI(EGL_OPENGL_ES_API);
    EGLint cfg_attribs[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_ES2_BIT, EGL_SURFACE_TYPE,
                            EGL_PBUFFER_BIT, EGL_NONE};
    EGLConfig config;
    EGLint n = 0;
    eglChooseConfig(dpy, cfg_attribs, &config, 1, &n);
    EGLint ctx_attribs[] = {EGL_CONTEXT_CLIENT_VERSION, 2, EGL_NONE};
    EGLContext ctx = n ? eglCreateContext(dpy, config, EGL_NO_CONTEXT, ctx_attribs) : NULL;
    printf("egl_context=%d\n", ctx != EGL_NO_CONTEXT);
    printf("egl_make_current=%d\n", eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, ctx));
    const GLubyte *(*get_string)(GLenum) =
        (const GLubyte *(*)(GLenum))eglGetProcAddress("glGetString");
    printf("gles_version=%s\n", get_string ? (const char *)get_string(GL_VERSION) : "(none)");
    printf("info egl_procaddr_file=%s\n", file_of((void *)get_string));
    eglMakeCurrent(dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
    eglDestroyContext(dpy, ctx);
    eglTerminate(dpy);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("info via_lorelei=%d\n", dlsym(RTLD_DEFAULT, "lorelei_active") != NULL);
    glx_part();
    egl_part();
    printf("done\n");
    return 0;
}
