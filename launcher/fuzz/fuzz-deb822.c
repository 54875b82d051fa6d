/*
 * libFuzzer target: what a Debian mirror hands the launcher before any
 * package is trusted. One input goes through
 *   - the deb822 parser (with and without comments): every stanza it
 *     accepts has valid, unique field names, no NUL byte, and stays within
 *     the limits it was given;
 *   - the relation parser on every Depends, Pre-Depends and Provides field:
 *     accepted names and versions are well-formed, and versions compare
 *     consistently (a == a, a < b exactly when b > a);
 *   - the Release parser: accepted file paths are safe and hashes are hex;
 *   - the Packages parser and the dependency closure: every package taken
 *     is one of the index, of amd64 or all, with a safe download path.
 */
#include "deb-archive.h"
#include "deb-closure.h"
#include "deb-relation.h"
#include "deb-release.h"
#include "deb822.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    const LoDeb822Limits *limits;
    guint stanzas;
    char *last_version;
} Check;

static void check_version_order(Check *c, const char *v)
{
    if (!lo_deb_version_valid(v)) {
        return;
    }
    if (lo_deb_version_compare(v, v) != 0) {
        abort();
    }
    if (c->last_version != NULL &&
        lo_deb_version_compare(v, c->last_version) != -lo_deb_version_compare(c->last_version, v)) {
        abort();
    }
    g_free(c->last_version);
    c->last_version = g_strdup(v);
}

static void check_relations(Check *c, const char *field)
{
    const char *why = NULL;
    GPtrArray *groups = lo_deb_relations_parse(field, &why);
    if (groups == NULL) {
        if (why == NULL) {
            abort();
        }
        return;
    }
    for (guint g = 0; g < groups->len; g++) {
        LoDebGroup *group = groups->pdata[g];
        if (group->len == 0) {
            abort();
        }
        for (guint i = 0; i < group->len; i++) {
            const LoDebAtom *a = group->pdata[i];
            if (!lo_deb_name_valid(a->name) || (a->op != LO_DEB_ANY) != (a->version != NULL) ||
                (a->version != NULL && !lo_deb_version_valid(a->version))) {
                abort();
            }
            if (a->version != NULL) {
                check_version_order(c, a->version);
            }
        }
    }
    g_ptr_array_unref(groups);
}

static gboolean on_stanza(const LoDeb822Stanza *s, gpointer data, GError **error)
{
    (void)error;
    Check *c = data;
    if (s->fields->len == 0 || s->fields->len > c->limits->max_fields ||
        ++c->stanzas > c->limits->max_stanzas) {
        abort();
    }
    for (guint i = 0; i < s->fields->len; i++) {
        const LoDeb822Field *f = &g_array_index(s->fields, LoDeb822Field, i);
        gsize n = strlen(f->name);
        if (n == 0 || n > LO_DEB822_NAME_MAX || strpbrk(f->name, ": \t\n") != NULL ||
            f->name[0] == '#' || f->name[0] == '-' || strlen(f->value) > c->limits->max_value) {
            abort();
        }
        for (guint k = 0; k < i; k++) {
            if (g_ascii_strcasecmp(g_array_index(s->fields, LoDeb822Field, k).name, f->name) == 0) {
                abort();
            }
        }
        if (g_ascii_strcasecmp(f->name, "Depends") == 0 ||
            g_ascii_strcasecmp(f->name, "Pre-Depends") == 0 ||
            g_ascii_strcasecmp(f->name, "Provides") == 0) {
            check_relations(c, f->value);
        } else if (g_ascii_strcasecmp(f->name, "Version") == 0) {
            check_version_order(c, f->value);
        }
    }
    return TRUE;
}

static void fuzz_stanzas(const char *text, size_t size, gboolean comments)
{
    const LoDeb822Limits limits = {1 << 20, 64, 32, 4096, comments};
    Check c = {&limits, 0, NULL};
    GError *error = NULL;
    if (!lo_deb822_parse(text, size, &limits, "fuzz", on_stanza, &c, &error)) {
        if (error == NULL) {
            abort();
        }
        g_error_free(error);
    }
    g_free(c.last_version);
}

static void fuzz_release(const char *text, size_t size)
{
    GError *error = NULL;
    LoRelease *r = lo_release_parse(text, size, "fuzz", &error);
    if (r == NULL) {
        if (error == NULL) {
            abort();
        }
        g_error_free(error);
        return;
    }
    for (guint i = 0; i < r->files->len; i++) {
        const LoReleaseFile *f = r->files->pdata[i];
        if (!lo_mirror_path_safe(f->path) || strlen(f->sha256) != 64 ||
            strspn(f->sha256, "0123456789abcdef") != 64) {
            abort();
        }
    }
    lo_release_check(r, "bookworm", 0, "fuzz", NULL);
    lo_release_free(r);
}

static void fuzz_packages(const char *text, size_t size)
{
    LoDebUniverse *u = lo_deb_universe_new("amd64");
    guint skipped = 0;
    char *first = NULL;
    GError *error = NULL;
    if (!lo_deb_packages_parse(text, size, "fuzz", u, &skipped, &first, &error)) {
        g_clear_error(&error);
    }
    g_free(first);
    const char *requested[] = {"libc6", "a0", "zlib1g", NULL};
    LoDebClosure *c = lo_deb_closure_resolve(u, requested);
    for (guint i = 0; i < c->picked->len; i++) {
        const LoDebPackage *p = ((LoDebPick *)c->picked->pdata[i])->package;
        if (lo_deb_universe_lookup(u, p->name) == NULL || !lo_mirror_path_safe(p->filename) ||
            (strcmp(p->arch, "amd64") != 0 && strcmp(p->arch, "all") != 0)) {
            abort();
        }
    }
    lo_deb_closure_free(c);
    lo_deb_universe_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    fuzz_stanzas(text, size, size % 2 == 0);
    fuzz_release(text, size);
    fuzz_packages(text, size);
    return 0;
}
