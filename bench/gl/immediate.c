/*
 * immediate: an OpenGL 1.x immediate-mode program for bench/gl, the kind
 * of game loop whose frames are made of API calls: every frame draws
 * VERTICES coloured vertices, each with its own glColor3f and glVertex2f
 * call, between one glBegin/glEnd pair, then swaps.
 *
 *   immediate [SECONDS [VERTICES]]      (defaults: 5 s, 25000: 50,000 calls a frame)
 *
 * Prints "immediate: frames=N seconds=S fps=F calls_per_frame=C". Built for
 * x86_64 and linked against the real libGL/libX11: natively and under plain
 * QEMU it uses the guest's Mesa, under qemu-lorelei the stub.
 */
#include <GL/gl.h>
#include <GL/glx.h>
#include <X11/Xlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { WIDTH = 320, HEIGHT = 240 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 5.0;
    int vertices = argc > 2 ? atoi(argv[2]) : 25000;
    vertices -= vertices % 3;
    Display *dpy = XOpenDisplay(NULL);
    if (!dpy) {
        fprintf(stderr, "immediate: cannot open the X display\n");
        return 1;
    }
    int attrs[] = {GLX_RGBA, GLX_DOUBLEBUFFER, GLX_RED_SIZE, 8, GLX_GREEN_SIZE, 8, GLX_BLUE_SIZE, 8,
                   None};
    XVisualInfo *vi = glXChooseVisual(dpy, DefaultScreen(dpy), attrs);
    if (!vi) {
        fprintf(stderr, "immediate: no double-buffered RGB visual\n");
        return 1;
    }
    Window root = RootWindow(dpy, vi->screen);
    XSetWindowAttributes swa = {.colormap = XCreateColormap(dpy, root, vi->visual, AllocNone)};
    Window win = XCreateWindow(dpy, root, 0, 0, WIDTH, HEIGHT, 0, vi->depth, InputOutput,
                               vi->visual, CWColormap, &swa);
    XStoreName(dpy, win, "immediate");
    XMapWindow(dpy, win);
    GLXContext ctx = glXCreateContext(dpy, vi, NULL, True);
    if (!ctx || !glXMakeCurrent(dpy, win, ctx)) {
        fprintf(stderr, "immediate: cannot create a GL context\n");
        return 1;
    }
    glViewport(0, 0, WIDTH, HEIGHT);

    /* The vertices' values are computed once: the frame is the API calls. */
    float *xy = malloc(sizeof(float) * 2 * (size_t)vertices);
    float *rgb = malloc(sizeof(float) * 3 * (size_t)vertices);
    if (!xy || !rgb) {
        return 1;
    }
    unsigned seed = 1;
    for (int i = 0; i < vertices; i++) {
        for (int k = 0; k < 2; k++) {
            seed = seed * 1103515245u + 12345u;
            xy[2 * i + k] = (float)(seed >> 8) / (float)(1u << 24) * 2.0f - 1.0f;
        }
        for (int k = 0; k < 3; k++) {
            rgb[3 * i + k] = (float)((i * (k + 3)) % 256) / 255.0f;
        }
    }

    int frames = 0;
    double start = now_s(), elapsed = 0;
    while (elapsed < seconds) {
        glClearColor(0.1f, 0.1f, 0.1f, 1.0f);
        glClear(GL_COLOR_BUFFER_BIT);
        glBegin(GL_TRIANGLES);
        for (int i = 0; i < vertices; i++) {
            glColor3f(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]);
            glVertex2f(xy[2 * i], xy[2 * i + 1]);
        }
        glEnd();
        glXSwapBuffers(dpy, win);
        frames++;
        elapsed = now_s() - start;
    }
    printf("immediate: frames=%d seconds=%.3f fps=%.2f calls_per_frame=%d\n", frames, elapsed,
           frames / elapsed, 2 * vertices + 5);
    glXMakeCurrent(dpy, None, NULL);
    glXDestroyContext(dpy, ctx);
    XDestroyWindow(dpy, win);
    XCloseDisplay(dpy);
    return 0;
}
