/*
 * Validation of one profile document against schema 1 (see profile-rules.h).
 * Unknown keys, wrong types, over-long values, patterns that do not match
 * and environment variables off the allow-list are all errors: a profile is
 * used whole or not at all.
 */
#pragma once

#include "json-util.h"
#include <glib.h>

/* Appends one "PATH: what is wrong" string per problem; TRUE when none. */
gboolean lo_profile_validate(const cJSON *doc, GPtrArray *problems);

/* Parses (strictly, see json-util.h) and validates text; returns the document
 * only when it is valid, else NULL with the problems appended. */
cJSON *lo_profile_parse(const char *text, gsize length, GPtrArray *problems);

/* Reads, parses and validates a profile file (size-limited). The error lists
 * the problems, one per line (LO_EXIT_INVALID). */
cJSON *lo_profile_load_file(const char *path, GError **error);

/* Adds the problems to an error as indented lines (at most a screenful). */
void lo_error_add_problems(GError **error, GPtrArray *problems);
