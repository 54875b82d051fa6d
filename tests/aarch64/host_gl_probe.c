/*
 * The host's own OpenGL, without qemu-lorelei: a surfaceless EGL context on
 * the host's Mesa and its renderer string. The aarch64 lane runs it (an
 * aarch64 program, under the same emulator and page size as the test) before
 * a test whose Lorelei runs need the host's GL: when it fails, the emulator
 * cannot run the host's GL at all, and the test says so instead of blaming
 * qemu-lorelei (docs/aarch64.md, 16 KiB pages).
 */
#include <EGL/egl.h>
#include <EGL/eglext.h>
#include <stdio.h>

typedef const unsigned char *(*get_string_fn)(unsigned int name);

int main(void)
{
    EGLDisplay display =
        eglGetPlatformDisplay(EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
    EGLint major = 0, minor = 0;
    if (display == EGL_NO_DISPLAY || !eglInitialize(display, &major, &minor)) {
        fprintf(stderr, "host_gl_probe: no surfaceless EGL display (0x%x)\n", eglGetError());
        return 1;
    }
    printf("EGL %d.%d\n", major, minor);
    fflush(stdout);
    eglBindAPI(EGL_OPENGL_API);
    EGLContext context = eglCreateContext(display, EGL_NO_CONFIG_KHR, EGL_NO_CONTEXT, NULL);
    if (context == EGL_NO_CONTEXT ||
        !eglMakeCurrent(display, EGL_NO_SURFACE, EGL_NO_SURFACE, context)) {
        fprintf(stderr, "host_gl_probe: no OpenGL context (0x%x)\n", eglGetError());
        return 1;
    }
    get_string_fn get_string = (get_string_fn)eglGetProcAddress("glGetString");
    const unsigned char *renderer = get_string ? get_string(0x1F01 /* GL_RENDERER */) : NULL;
    printf("renderer %s\n", renderer ? (const char *)renderer : "(none)");
    eglTerminate(display);
    return renderer ? 0 : 1;
}
