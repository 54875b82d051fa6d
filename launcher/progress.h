/*
 * A one-line progress bar on stderr, drawn only when stderr is a terminal
 * (scripts and logs get nothing), redrawn at most ten times a second.
 */
#pragma once

#include <glib.h>

typedef struct LoProgress LoProgress;

/* total: the amount of work in bytes (0: unknown, shows bytes only). */
LoProgress *lo_progress_new(const char *label, guint64 total);
/* Forces drawing (or not) regardless of the terminal: for tests. */
void lo_progress_set_enabled(LoProgress *p, gboolean enabled);
/* Whether the bar is drawn (callers print plain lines instead when not). */
gboolean lo_progress_enabled(const LoProgress *p);
void lo_progress_update(LoProgress *p, guint64 done, const char *item);
/* Clears the line. */
void lo_progress_free(LoProgress *p);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(LoProgress, lo_progress_free)
