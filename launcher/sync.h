/*
 * profile sync: fetch the community repository (index.json and the profiles
 * it lists) with libcurl and replace the local copy in one step.
 *
 * Every profile is checked against the index's size and sha256 and against
 * the schema before anything is replaced; profiles whose local copy already
 * has the right sha256 are not downloaded again. The new copy is built in a
 * temporary folder beside the old one and swapped in with RENAME_EXCHANGE,
 * so a failed, tampered or interrupted sync leaves the previous copy as it
 * was. Only https:// URLs are accepted, plus http:// to this machine
 * (127.0.0.1, ::1, localhost: a local mirror or a test) and file://.
 * Redirects may lead to https:// only. timeout_seconds bounds the whole
 * sync, so a server that sends one byte at a time cannot hold it (and its
 * lock) for hours.
 */
#pragma once

#include <glib.h>

typedef struct {
    int timeout_seconds; /* the whole sync, every download included (--timeout) */
    int stall_seconds;   /* abort when no byte arrives for this long (at most the above) */
    int connect_seconds; /* abort when the server does not answer */
} LoSyncOptions;

#define LO_SYNC_OPTIONS_DEFAULT                                                                    \
    {                                                                                              \
        300, 30, 15                                                                                \
    }

typedef struct {
    char *url;             /* the index's URL */
    GPtrArray *downloaded; /* ids */
    GPtrArray *unchanged;  /* ids */
    GPtrArray *removed;    /* ids no longer in the repository */
} LoSyncReport;

void lo_sync_report_clear(LoSyncReport *r);

/* Syncs url (a repository folder or its index.json) into dest. */
gboolean lo_sync(const char *url, const char *dest, const LoSyncOptions *opts, LoSyncReport *report,
                 GError **error);

/* The index URL for a repository URL, or NULL with why (LO_EXIT_USAGE). */
char *lo_sync_index_url(const char *url, GError **error);
