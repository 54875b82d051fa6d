/*
 * Saying where and why a JSON text is not valid: line and column (counted
 * in characters, from 1) and a hint for the mistakes people make by hand —
 * a trailing comma, a missing comma, single quotes, comments, an unquoted
 * key, a string or bracket left open.
 *
 * (Kept apart from json-util.c so that it can be merged with other error
 * reporting work on the JSON reader: lo_json_parse_strict() calls it.)
 */
#pragma once

#include <glib.h>

/* "line L, column C: not valid JSON (HINT)" for a parse that failed at
 * offset (where cJSON stopped; clamped to length). */
char *lo_json_syntax_error(const char *text, gsize length, gsize offset);

/* Line and column (characters) of offset in text, both from 1. */
void lo_json_position(const char *text, gsize length, gsize offset, guint *line, guint *column);
