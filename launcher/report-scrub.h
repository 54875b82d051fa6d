/*
 * What `report` leaves out of a bug report: the home folder's path becomes
 * "~", the user name "USER" and the host name "HOST". Names are replaced
 * only as whole words ("root" in "sysroot" stays), paths only as whole path
 * prefixes (/home/al in /home/alice stays). Names shorter than 3 characters
 * are left alone: replacing them would mangle the text and hide nothing.
 */
#pragma once

#include <glib.h>

char *lo_report_scrub(const char *text, const char *home, const char *user, const char *host);
