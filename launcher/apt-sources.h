/*
 * The Debian mirror this machine's apt already uses: from the deb822
 * *.sources files and the one-line sources.list format, in apt's order
 * (sources.list, then sources.list.d/ by name). Only "deb" entries with an
 * http://, https:// or file:// URI count; disabled entries (Enabled: no)
 * and the security archive (suites ending in -security or /updates, URIs
 * ending in debian-security) are skipped. An entry that lists the wanted
 * suite wins over one that does not; otherwise the first one does.
 */
#pragma once

#include <glib.h>

/* The mirror URI for suite under etc_apt (normally "/etc/apt"), or NULL;
 * *from names the file it came from. */
char *lo_apt_find_mirror(const char *etc_apt, const char *suite, char **from);

/* The same for one file's text (deb822: a *.sources file; else one-line
 * format). Sets *lists_suite when the entry found lists suite. For tests. */
char *lo_apt_mirror_in_text(const char *text, gsize len, gboolean deb822, const char *suite,
                            gboolean *lists_suite);
