/*
 * A parser of deb822 text: the "Field: value" paragraphs ("stanzas") of
 * Debian's Packages and Release files, dpkg's status database, a .deb's
 * control file and apt's *.sources. All of these come from outside (a
 * mirror, a downloaded package), so the parser is strict and bounded:
 *   - a stanza is a run of non-blank lines; blank (or whitespace-only) lines
 *     separate stanzas;
 *   - a field starts in column 0 as NAME ':' value; NAME is printable ASCII
 *     without spaces or ':' and does not start with '#' or '-';
 *   - a line starting with a space or tab continues the previous field (kept
 *     as a new line of its value, leading whitespace removed; " ." is an
 *     empty line);
 *   - '#' lines are comments where the format has them (apt's sources);
 *   - a field name appears once per stanza (case-insensitively);
 *   - NUL bytes are refused; "\r\n" line ends are accepted;
 *   - limits on the input size, the stanzas, the fields per stanza, the
 *     length of a field name and of a value; exceeding one is an error, not
 *     a truncation.
 */
#pragma once

#include <glib.h>

typedef struct {
    gsize max_input;   /* bytes */
    guint max_stanzas; /* per input */
    guint max_fields;  /* per stanza */
    gsize max_value;   /* bytes of one field's value, continuation lines included */
    gboolean comments; /* '#' lines are comments (apt's sources) */
} LoDeb822Limits;

#define LO_DEB822_NAME_MAX 64

/* For files of a few stanzas: a .deb's control, a Release, a *.sources. */
#define LO_DEB822_LIMITS_SMALL                                                                     \
    {                                                                                              \
        4 << 20, 1024, 256, 4 << 20, FALSE                                                         \
    }

typedef struct {
    char *name;
    char *value; /* first line and continuation lines joined by '\n' */
} LoDeb822Field;

typedef struct {
    GArray *fields; /* LoDeb822Field */
    guint line;     /* where the stanza starts, 1-based, for messages */
} LoDeb822Stanza;

/* The value of a field (case-insensitive name), or NULL. */
const char *lo_deb822_get(const LoDeb822Stanza *s, const char *name);

/* Called for each stanza; the stanza is freed after the call. Return FALSE
 * with error set to stop. */
typedef gboolean (*LoDeb822Fn)(const LoDeb822Stanza *s, gpointer data, GError **error);

/* Parses text (len bytes, no terminating NUL needed); what names the input
 * in messages ("Packages from http://…"). Errors are LO_EXIT_INVALID and say
 * where: "WHAT, line N: …". */
gboolean lo_deb822_parse(const char *text, gsize len, const LoDeb822Limits *limits,
                         const char *what, LoDeb822Fn fn, gpointer data, GError **error);

/* All stanzas of a small input (LoDeb822Stanza*, owned by the array). */
GPtrArray *lo_deb822_parse_all(const char *text, gsize len, const LoDeb822Limits *limits,
                               const char *what, GError **error);

void lo_deb822_stanza_free(LoDeb822Stanza *s);
