/*
 * The GL, GLX and EGL API as the stub and the host thunks see it: the real
 * headers, with every extension function declared (thunkgen checks each
 * stub against these declarations).
 */
#ifndef LORELEI_GL_API_H
#define LORELEI_GL_API_H

#define GL_GLEXT_PROTOTYPES   1
#define GLX_GLXEXT_PROTOTYPES 1
#define EGL_EGLEXT_PROTOTYPES 1

#include <GL/gl.h>
#include <GL/glext.h>
#include <GL/glx.h>
#include <GL/glxext.h>
#include <EGL/egl.h>
#include <EGL/eglext.h>

/* Types gl.xml uses for GLES-only commands, defined by the GLES headers
 * (which cannot be included together with GL/gl.h); as in gl.xml <types>. */
typedef khronos_int32_t GLclampx;
typedef void(APIENTRY *GLDEBUGPROCKHR)(GLenum source, GLenum type, GLuint id, GLenum severity,
                                       GLsizei length, const GLchar *message,
                                       const void *userParam);

#endif
