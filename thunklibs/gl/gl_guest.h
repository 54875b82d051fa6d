/*
 * Guest helpers the generated GL stub calls (gl.toml names them).
 */
#ifndef LORELEI_GL_GUEST_H
#define LORELEI_GL_GUEST_H

#include <stddef.h>

#include "gl_api.h"

/* Replaces the host Visual pointers in a copied XVisualInfo array with the
 * guest Display's Visuals of the same id. */
void lorelei_glx_guest_visuals(XVisualInfo *visuals, size_t n, Display *dpy);

/* After a call on `display`: hands the X errors the host's connection got to
 * the guest's error handler (XSetErrorHandler), as if they arrived here. */
void lorelei_glx_x_errors(void *display);

#endif
