/*
 * Downloads with libcurl, for profile sync and for sysroots made from a
 * Debian mirror: into memory (an index) or appended to a file (a package,
 * resumed with an HTTP Range request). Every transfer has a time limit for
 * connecting, for silence (no byte for stall_seconds) and in total, a size
 * limit, and stops at once when SIGINT/SIGTERM arrives (lo_interrupted()).
 * Errors are LO_EXIT_DOWNLOAD ("WHAT (URL): why"), or LO_EXIT_INTERRUPTED.
 * Callers call curl_global_init() once before.
 */
#pragma once

#include <glib.h>

typedef struct {
    const char *url;
    const char *what;               /* for messages: "index.json", "InRelease of bookworm" */
    const char *protocols;          /* curl's list: "https,http,file" */
    const char *redirect_protocols; /* where redirects may lead: "https" */
    int connect_seconds;            /* abort when the server does not answer */
    int stall_seconds;              /* abort when no byte arrives for this long */
    int total_seconds;              /* abort after this long (0: no limit) */
    long total_ms;                  /* the same in milliseconds, when set (a deadline's rest) */
    const char *interrupted_note;   /* the LO_EXIT_INTERRUPTED message: "nothing was changed" */
    /* Called as bytes arrive (may be NULL): bytes of this transfer so far. */
    void (*progress)(guint64 bytes, gpointer data);
    gpointer progress_data;
} LoDownload;

/* The body of d->url, at most limit bytes (more is an error). */
GByteArray *lo_download_memory(const LoDownload *d, gsize limit, GError **error);

/* Appends the body of d->url from byte offset (a Range request when
 * offset > 0) to fd; the file may not grow past limit bytes. When the
 * server cannot resume (no range support, or 416), *restart is set and
 * FALSE returned: the caller truncates and calls again from 0. */
gboolean lo_download_append(const LoDownload *d, int fd, guint64 offset, guint64 limit,
                            gboolean *restart, GError **error);
