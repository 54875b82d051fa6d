/*
 * The frame rate a game reported in a `run --log` log, for `profile report`.
 *
 * Games print their frame rate in many ways; these are recognised, in the
 * output part of the log only (after run-log.c's "output of QEMU and the
 * game" line, so the launcher's own lines never count), case-insensitively:
 *   NUMBER fps | NUMBER frames per second | NUMBER frames/s(ec)
 *       glxgears "300 frames in 5.0 seconds = 59.996 FPS",
 *       SDL's tests "59.98 frames per second"
 *   fps|frame rate|framerate [:=] NUMBER
 *       glmark2 "FPS: 1234 FrameTime: 0.810 ms", "fps = 60"
 * Games report a rate every few seconds, the first ones often while loading:
 * the median of every sample is the game's frame rate.
 */
#pragma once

#include "run-log.h"

#include <glib.h>

typedef struct {
    double median; /* frames per second */
    double min, max;
    guint samples;
} LoFrameRate;

/* FALSE when the text has no output part (LO_EXIT_INVALID) or no frame
 * rate in it (LO_EXIT_NOT_FOUND); the error says which. */
gboolean lo_log_frame_rate(const char *text, LoFrameRate *out, GError **error);
