/*
 * x86_64 guest program: GLEW on a GL context SDL created, as trigger-rally
 * and megaglest start up. SDL_GL_CreateContext makes the context current on
 * the host SDL's own X connection; glewInit then asks glXGetCurrentDisplay
 * for it and fails with GLEW_ERROR_NO_GLX_DISPLAY (4, "Unknown error" in
 * glewGetErrorString) when that answers NULL.
 *
 *   sdl_glew [compat | 3.0]   the context SDL asks for (default: compat)
 *
 * Prints one line per step; run_sdl2.py compares them with the native run.
 */
#include <stdio.h>
#include <string.h>

#include <GL/glew.h>
#include <GL/glxew.h>
#include <SDL2/SDL.h>

int main(int argc, char **argv)
{
    const char *want = argc > 1 ? argv[1] : "compat";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
        return 1;
    }
    if (strcmp(want, "3.0") == 0) {
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MAJOR_VERSION, 3);
        SDL_GL_SetAttribute(SDL_GL_CONTEXT_MINOR_VERSION, 0);
    }
    SDL_GL_SetAttribute(SDL_GL_DOUBLEBUFFER, 1);
    SDL_Window *w = SDL_CreateWindow("lorelei-glew", 0, 0, 320, 240, SDL_WINDOW_OPENGL);
    SDL_GLContext ctx = w ? SDL_GL_CreateContext(w) : NULL;
    if (!ctx) {
        fprintf(stderr, "SDL_GL_CreateContext: %s\n", SDL_GetError());
        return 1;
    }
    printf("context %s\n", want);

    GLenum err = glewInit();
    printf("glewInit %u (%s)\n", err, (const char *)glewGetErrorString(err));
    if (err != GLEW_OK) {
        return 2;
    }
    /* GLEW's pointer (glxew.h): the library's function, loaded by glewInit. */
    Display *dpy = glXGetCurrentDisplay();
    printf("glXGetCurrentDisplay %s\n", dpy ? "set" : "NULL");
    int major = 0, minor = 0;
    printf("glXQueryVersion %s\n",
           dpy && glXQueryVersion(dpy, &major, &minor) && major == 1 && minor >= 3 ? "1.3+"
                                                                                   : "failed");
    printf("GLEW_VERSION_3_0 %d GLXEW_VERSION_1_3 %d\n", GLEW_VERSION_3_0 ? 1 : 0,
           GLXEW_VERSION_1_3 ? 1 : 0);
    printf("glGenFramebuffers %s\n", glGenFramebuffers ? "loaded" : "missing");

    /* The context works through GLEW's pointers: clear and read back. */
    glClearColor(0.0f, 1.0f, 0.0f, 1.0f);
    glClear(GL_COLOR_BUFFER_BIT);
    unsigned char px[4] = {0};
    glReadPixels(10, 10, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE, px);
    printf("pixel %u %u %u\n", px[0], px[1], px[2]);
    SDL_GL_SwapWindow(w);

    SDL_GL_DeleteContext(ctx);
    printf("after delete glXGetCurrentDisplay %s\n", glXGetCurrentDisplay() ? "set" : "NULL");
    SDL_DestroyWindow(w);
    SDL_Quit();
    printf("done\n");
    return 0;
}
