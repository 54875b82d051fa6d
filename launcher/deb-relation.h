/*
 * Debian package names, versions and relation fields (Depends, Pre-Depends,
 * Provides) as Debian Policy §5.6.1, §5.6.12 and §7.1 define them.
 *
 * A relation field is a comma-separated list of groups; a group is one or
 * more alternatives separated by '|'; an alternative is a package name with
 * an optional architecture qualifier (":any", ":native", ":amd64"), an
 * optional version constraint "(OP VERSION)" with OP one of << <= = >= >>
 * (and the obsolete < and > that mean <= and >=), and, in source packages
 * only, "[arch list]" and "<build profiles>", which are accepted and kept
 * out of the result. Anything else is an error.
 */
#pragma once

#include <glib.h>

#define LO_DEB_NAME_MAX    128
#define LO_DEB_VERSION_MAX 256

typedef enum {
    LO_DEB_ANY = 0, /* no version constraint */
    LO_DEB_LT,      /* << */
    LO_DEB_LE,      /* <= */
    LO_DEB_EQ,      /* = */
    LO_DEB_GE,      /* >= */
    LO_DEB_GT,      /* >> */
} LoDebOp;

typedef struct {
    char *name;
    char *arch; /* qualifier after ':' or NULL */
    LoDebOp op;
    char *version; /* NULL when op is LO_DEB_ANY */
} LoDebAtom;

/* One group: the alternatives (LoDebAtom*), at least one. */
typedef GPtrArray LoDebGroup;

/* Package names: [a-z0-9][a-z0-9+.-]+ (policy §5.6.1). */
gboolean lo_deb_name_valid(const char *name);

/* Versions: [epoch:]upstream[-revision], epoch digits, upstream starting
 * with a digit (relaxed: any alphanumeric), characters of policy §5.6.12. */
gboolean lo_deb_version_valid(const char *version);

/* dpkg's ordering of two valid versions: <0, 0 or >0. */
int lo_deb_version_compare(const char *a, const char *b);

/* Whether version satisfies (op, wanted). */
gboolean lo_deb_version_satisfies(const char *version, LoDebOp op, const char *wanted);

/* "<<", ">=", ...; "" for LO_DEB_ANY. */
const char *lo_deb_op_string(LoDebOp op);

/* Parses a relation field (NULL or "" gives an empty array). Returns an
 * array of LoDebGroup*, or NULL with a message in *why (static text). */
GPtrArray *lo_deb_relations_parse(const char *field, const char **why);

/* "name:arch (op version)" for messages. */
char *lo_deb_atom_to_string(const LoDebAtom *atom);
