/* The pieces of `sysroot create --from-debian/--from-multiarch` that need
 * no network: the deb822 parser and its limits, Debian versions and
 * relation fields, the dependency closure, Release files, the mirror in
 * apt's sources, Packages indexes, and the /usr merge of paths and links. */
#include "apt-sources.h"
#include "deb-archive.h"
#include "deb-closure.h"
#include "deb-relation.h"
#include "deb-release.h"
#include "deb822.h"
#include "errors.h"
#include "extract.h"
#include "testutil.h"

#include <string.h>

/* ---- deb822 ---------------------------------------------------------------- */

static GPtrArray *parse(const char *text, GError **error)
{
    const LoDeb822Limits limits = {1 << 20, 16, 8, 256, FALSE};
    return lo_deb822_parse_all(text, strlen(text), &limits, "test", error);
}

static void test_deb822_stanzas(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) s = parse("Package: a\r\nDescription: first\n second\n .\n third\n"
                                   "  \t \n\n\nPackage:b\nversion:  1.0  \n",
                                   &error);
    g_assert_no_error(error);
    g_assert_cmpuint(s->len, ==, 2);
    g_assert_cmpstr(lo_deb822_get(s->pdata[0], "package"), ==, "a");
    g_assert_cmpstr(lo_deb822_get(s->pdata[0], "Description"), ==, "first\nsecond\n\nthird");
    g_assert_cmpstr(lo_deb822_get(s->pdata[1], "Package"), ==, "b");
    g_assert_cmpstr(lo_deb822_get(s->pdata[1], "Version"), ==, "1.0");
    g_assert_null(lo_deb822_get(s->pdata[1], "Depends"));
    g_assert_cmpuint(((LoDeb822Stanza *)s->pdata[1])->line, ==, 9);
    g_autoptr(GPtrArray) empty = parse("\n \n", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(empty->len, ==, 0);
}

static void test_deb822_refusals(void)
{
    const struct {
        const char *text, *message;
    } cases[] = {
        {" continued\n", "test, line 1: a continuation line without a field before it"},
        {"Package a\n", "test, line 1: 'Package a' is not a 'Field: value' line"},
        {"Pack age: a\n", "not a valid field name"},
        {"-Package: a\n", "not a valid field name"},
        {": a\n", "not a valid field name"},
        {"A: 1\nB: 2\na: 3\n", "test, line 3: field 'a' appears twice in one stanza"},
        {"A: 1\nB: 2\nC: 3\nD: 4\nE: 5\nF: 6\nG: 7\nH: 8\nI: 9\n", "more than 8 fields"},
        {"# comment\n", "'# comment' is not a 'Field: value' line"},
        {"#A: b\n", "not a valid field name"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) s = parse(cases[i].text, &error);
        g_assert_null(s);
        g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
        if (strstr(error->message, cases[i].message) == NULL) {
            g_error("case %" G_GSIZE_FORMAT ": '%s' lacks '%s'", i, error->message,
                    cases[i].message);
        }
    }
    /* Limits: a value, the stanzas, the input, NUL bytes. */
    g_autoptr(GString) long_value = g_string_new("A: ");
    for (int i = 0; i < 300; i++) {
        g_string_append_c(long_value, 'x');
    }
    g_autoptr(GError) error = NULL;
    g_assert_null(parse(long_value->str, &error));
    g_assert_nonnull(strstr(error->message, "a field longer than 256 bytes"));
    g_clear_error(&error);
    g_autoptr(GString) continued = g_string_new("A: x\n");
    for (int i = 0; i < 100; i++) {
        g_string_append(continued, " xxxx\n");
    }
    g_assert_null(parse(continued->str, &error));
    g_assert_nonnull(strstr(error->message, "a field longer than 256 bytes"));
    g_clear_error(&error);
    g_autoptr(GString) many = g_string_new(NULL);
    for (int i = 0; i < 17; i++) {
        g_string_append_printf(many, "A: %d\n\n", i);
    }
    g_assert_null(parse(many->str, &error));
    g_assert_nonnull(strstr(error->message, "line 33: more than 16 stanzas"));
    g_clear_error(&error);
    const LoDeb822Limits tiny = {4, 1, 1, 1, FALSE};
    g_assert_null(lo_deb822_parse_all("A: 12", 5, &tiny, "tiny", &error));
    g_assert_nonnull(strstr(error->message, "tiny: larger than 4 bytes"));
    g_clear_error(&error);
    const LoDeb822Limits limits = {64, 4, 4, 64, FALSE};
    g_assert_null(lo_deb822_parse_all("A: b\0c\n", 7, &limits, "nul", &error));
    g_assert_nonnull(strstr(error->message, "nul: holds a NUL byte"));
}

static void test_deb822_comments(void)
{
    const LoDeb822Limits limits = {1 << 20, 16, 8, 256, TRUE};
    const char *text = "# apt sources\nTypes: deb\n# inside\nURIs: http://x/\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) s = lo_deb822_parse_all(text, strlen(text), &limits, "c", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(s->len, ==, 1);
    g_assert_cmpstr(lo_deb822_get(s->pdata[0], "URIs"), ==, "http://x/");
}

/* ---- versions and relations ------------------------------------------------ */

static void test_versions(void)
{
    const struct {
        const char *a, *b;
        int order;
    } cases[] = {
        {"1.0", "1.0", 0},      {"1.0", "1.1", -1},
        {"1.10", "1.9", 1},     {"1.0~rc1", "1.0", -1},
        {"1.0~~", "1.0~", -1},  {"1.0", "1.0+b1", -1},
        {"1.0-1", "1.0-2", -1}, {"1:0.1", "2.0", 1},
        {"0:1.0", "1.0", 0},    {"2.36-9+deb12u4", "2.36-9+deb12u14", -1},
        {"1.0a", "1.0", 1},     {"1.0-1", "1.0", 1},
        {"001.2", "1.2", 0},    {"1.2.3-1~deb12u1", "1.2.3-1", -1},
        {"10", "9", 1},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_assert_true(lo_deb_version_valid(cases[i].a));
        g_assert_true(lo_deb_version_valid(cases[i].b));
        g_assert_cmpint(lo_deb_version_compare(cases[i].a, cases[i].b), ==, cases[i].order);
        g_assert_cmpint(lo_deb_version_compare(cases[i].b, cases[i].a), ==, -cases[i].order);
    }
    const char *invalid[] = {"",      ":1.0", "a:1.0", "1.0-", "-1",
                             "1.0_1", "1 0",  "1:",    "~1",   "1.0:2"};
    for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++) {
        if (lo_deb_version_valid(invalid[i])) {
            g_error("'%s' taken for a version", invalid[i]);
        }
    }
    g_assert_true(lo_deb_version_satisfies("2.36", LO_DEB_GE, "2.34"));
    g_assert_false(lo_deb_version_satisfies("2.36", LO_DEB_LT, "2.36"));
    g_assert_true(lo_deb_version_satisfies("2.36", LO_DEB_LE, "2.36"));
    g_assert_true(lo_deb_version_satisfies("1:1.0", LO_DEB_GT, "9.9"));
    g_assert_true(lo_deb_version_satisfies("x", LO_DEB_ANY, NULL));
    g_assert_false(lo_deb_version_satisfies(NULL, LO_DEB_EQ, "1"));
}

static void test_relations(void)
{
    const char *why = NULL;
    g_autoptr(GPtrArray) g = lo_deb_relations_parse(
        "libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0,\n python3:any, libfoo:amd64 (<< 2),"
        " bar (> 1) [amd64 !i386] <!nocheck>, baz (= 1:2.0-1)",
        &why);
    g_assert_nonnull(g);
    g_assert_cmpuint(g->len, ==, 6);
    const LoDebAtom *a = ((LoDebGroup *)g->pdata[0])->pdata[0];
    g_assert_cmpstr(a->name, ==, "libc6");
    g_assert_cmpint(a->op, ==, LO_DEB_GE);
    g_assert_cmpstr(a->version, ==, "2.34");
    g_assert_cmpuint(((LoDebGroup *)g->pdata[1])->len, ==, 2);
    const LoDebAtom *alt = ((LoDebGroup *)g->pdata[1])->pdata[1];
    g_assert_cmpstr(alt->name, ==, "debconf-2.0");
    g_assert_cmpint(alt->op, ==, LO_DEB_ANY);
    a = ((LoDebGroup *)g->pdata[2])->pdata[0];
    g_assert_cmpstr(a->arch, ==, "any");
    a = ((LoDebGroup *)g->pdata[3])->pdata[0];
    g_autofree char *shown = lo_deb_atom_to_string(a);
    g_assert_cmpstr(shown, ==, "libfoo:amd64 (<< 2)");
    a = ((LoDebGroup *)g->pdata[4])->pdata[0];
    g_assert_cmpint(a->op, ==, LO_DEB_GE); /* the obsolete '>' */
    a = ((LoDebGroup *)g->pdata[5])->pdata[0];
    g_assert_cmpstr(a->version, ==, "1:2.0-1");
    g_autoptr(GPtrArray) none = lo_deb_relations_parse("  ", &why);
    g_assert_cmpuint(none->len, ==, 0);
    const char *bad[] = {"libc6,", "libc6 (>= )", "libc6 (~ 1)",     "libc6 (>= 1",
                         "Libc6",  "a",           "libc6 | ",        "libc6 [amd64",
                         "x y",    "libc6:",      "libc6 (>= 1.0_1)"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        why = NULL;
        GPtrArray *r = lo_deb_relations_parse(bad[i], &why);
        if (r != NULL) {
            g_error("'%s' was accepted", bad[i]);
        }
        g_assert_nonnull(why);
    }
}

/* ---- the closure ------------------------------------------------------------ */

static void add(LoDebUniverse *u, const char *name, const char *version, const char *arch,
                const char *ma, const char *depends, const char *provides, gboolean essential)
{
    LoDebPackage *p = g_new0(LoDebPackage, 1);
    p->name = g_strdup(name);
    p->version = g_strdup(version);
    p->arch = g_strdup(arch);
    p->multi_arch = g_strdup(ma);
    p->depends = g_strdup(depends);
    p->provides = g_strdup(provides);
    p->essential = essential;
    p->size = 100;
    const char *why = NULL;
    g_assert_true(lo_deb_universe_add(u, p, &why));
}

static const LoDebPick *picked(const LoDebClosure *c, const char *name)
{
    for (guint i = 0; i < c->picked->len; i++) {
        const LoDebPick *k = c->picked->pdata[i];
        if (strcmp(k->package->name, name) == 0) {
            return k;
        }
    }
    return NULL;
}

static const LoDebPick *left_out(const LoDebClosure *c, const char *name)
{
    for (guint i = 0; i < c->left_out->len; i++) {
        const LoDebPick *k = c->left_out->pdata[i];
        if (strcmp(k->package->name, name) == 0) {
            return k;
        }
    }
    return NULL;
}

static void test_closure(void)
{
    g_autoptr(LoDebUniverse) u = lo_deb_universe_new("amd64");
    add(u, "app", "1", "amd64", "same",
        "liba | libb, libvirt-user, libv (>= 2), libold (>= 5), debconf | debconf-2.0, bash, "
        "tool:any, nothere | alsonothere, libc6",
        NULL, FALSE);
    add(u, "liba", "1", "amd64", "same", "libc6 (>= 2.0)", NULL, FALSE);
    add(u, "libb", "1", "amd64", "same", NULL, NULL, FALSE);
    add(u, "libvirt-user", "1", "amd64", "same", "virtual-thing", NULL, FALSE);
    add(u, "zprovider", "1", "amd64", "same", NULL, "virtual-thing", FALSE);
    add(u, "aprovider", "1", "amd64", "same", NULL, "virtual-thing", FALSE);
    add(u, "unversioned", "1", "amd64", "same", NULL, "libv", FALSE);
    add(u, "versioned", "1", "amd64", "same", NULL, "libv (= 3)", FALSE);
    add(u, "libold", "1", "amd64", "same", NULL, NULL, FALSE);
    add(u, "libold", "0.5", "amd64", "same", NULL, NULL, FALSE); /* lower: ignored */
    add(u, "debconf", "1.5", "all", "foreign", NULL, "debconf-2.0", FALSE);
    add(u, "bash", "5.2", "amd64", "foreign", NULL, NULL, TRUE);
    add(u, "tool", "1", "arm64", "allowed", NULL, NULL, FALSE);
    add(u, "libc6", "2.36", "amd64", "same", "libgcc-s1", NULL, FALSE);
    add(u, "libc6", "2.36", "arm64", "same", NULL, NULL, FALSE);
    add(u, "libgcc-s1", "12", "amd64", "same", "libc6 (>= 2.35)", NULL, FALSE); /* a cycle */
    add(u, "unrelated", "1", "amd64", "same", NULL, NULL, FALSE);
    const char *requested[] = {"app", "debconf", "libmissing", "virtual-thing", NULL};
    g_autoptr(LoDebClosure) c = lo_deb_closure_resolve(u, requested);
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; i < c->picked->len; i++) {
        const LoDebPick *k = c->picked->pdata[i];
        g_string_append_printf(names, "%s:%s ", k->package->name, k->package->arch);
    }
    g_assert_cmpstr(names->str, ==,
                    "app:amd64 aprovider:amd64 debconf:all liba:amd64 libc6:amd64 "
                    "libgcc-s1:amd64 libold:amd64 libvirt-user:amd64 versioned:amd64 ");
    g_assert_cmpstr(picked(c, "app")->why, ==, "requested");
    /* Requested by name: debconf stays in although it is install-only. */
    g_assert_cmpstr(picked(c, "debconf")->why, ==, "requested");
    g_assert_cmpstr(picked(c, "aprovider")->why, ==, "requested (provides virtual-thing)");
    g_assert_cmpstr(picked(c, "versioned")->why, ==, "needed by app (provides libv)");
    g_assert_cmpstr(picked(c, "libold")->package->version, ==, "1");
    g_assert_nonnull(left_out(c, "bash"));
    g_assert_nonnull(strstr(left_out(c, "bash")->why, "only used while installing packages"));
    g_assert_nonnull(left_out(c, "tool"));
    g_assert_nonnull(strstr(left_out(c, "tool")->why, "a tool of this system"));
    g_assert_null(picked(c, "libb"));
    g_assert_null(picked(c, "unrelated"));
    g_assert_null(picked(c, "unversioned"));
    g_assert_cmpuint(c->missing->len, ==, 1);
    g_assert_cmpstr(c->missing->pdata[0], ==, "libmissing");
    g_assert_cmpuint(c->warnings->len, ==, 2);
    g_assert_cmpstr(c->warnings->pdata[0], ==,
                    "app 1 needs libold (>= 5), but only libold 1 is available: taken anyway");
    g_assert_cmpstr(c->warnings->pdata[1], ==,
                    "app 1 needs nothere | alsonothere, and none of it is available");
    g_assert_cmpuint(lo_deb_closure_bytes(c), ==, 900);
}

static void test_closure_install_only(void)
{
    g_autoptr(LoDebUniverse) u = lo_deb_universe_new("amd64");
    add(u, "libpulse0", "16", "amd64", "same", "lsb-base, dpkg (>= 1.15), libc6", NULL, FALSE);
    add(u, "lsb-base", "11", "all", "foreign", NULL, NULL, FALSE);
    add(u, "dpkg", "1.21", "amd64", "foreign", NULL, NULL, TRUE);
    add(u, "libc6", "2.36", "amd64", "same", NULL, NULL, FALSE);
    const char *requested[] = {"libpulse0", NULL};
    g_autoptr(LoDebClosure) c = lo_deb_closure_resolve(u, requested);
    g_assert_cmpuint(c->picked->len, ==, 2);
    g_assert_cmpuint(c->left_out->len, ==, 2);
    g_assert_true(lo_deb_install_only(left_out(c, "lsb-base")->package));
    g_assert_true(lo_deb_install_only(left_out(c, "dpkg")->package));
    g_assert_false(lo_deb_install_only(picked(c, "libc6")->package));
    /* A package not for this architecture is not found by name. */
    g_assert_null(lo_deb_universe_lookup(u, "nothing"));
    g_assert_nonnull(lo_deb_universe_lookup(u, "lsb-base"));
}

/* ---- Release ---------------------------------------------------------------- */

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_release(void)
{
    const char *text = "Origin: Debian\nSuite: oldstable\nCodename: bookworm\nVersion: 12.15\n"
                       "Date: Sat, 11 Jul 2026 10:16:37 UTC\nAcquire-By-Hash: yes\n"
                       "Architectures: all amd64 arm64\nComponents: main contrib\n"
                       "MD5Sum:\n 0ed6d4c8891eb86358b94bb35d9e4da4 1 main/x\n"
                       "SHA256:\n " SHA_A " 8790396 main/binary-amd64/Packages.xz\n"
                       " " SHA_A "    12 main/binary-amd64/Packages\n";
    g_autoptr(GError) error = NULL;
    g_autoptr(LoRelease) r = lo_release_parse(text, strlen(text), "Release", &error);
    g_assert_no_error(error);
    g_assert_cmpstr(r->codename, ==, "bookworm");
    g_assert_true(r->by_hash);
    g_assert_cmpuint(r->files->len, ==, 2);
    const LoReleaseFile *f = lo_release_find(r, "main/binary-amd64/Packages.xz");
    g_assert_cmpuint(f->size, ==, 8790396);
    g_assert_cmpstr(f->sha256, ==, SHA_A);
    g_assert_null(lo_release_find(r, "main/x"));
    gint64 now = 1700000000;
    g_assert_true(lo_release_check(r, "bookworm", now, "R", &error));
    g_assert_true(lo_release_check(r, "oldstable", now, "R", &error));
    g_assert_false(lo_release_check(r, "trixie", now, "R", &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_DOWNLOAD);
    g_assert_nonnull(strstr(error->message,
                            "R describes suite 'oldstable' (codename 'bookworm'), not 'trixie'"));
    g_clear_error(&error);

    g_autofree char *expired =
        g_strconcat(text, "Valid-Until: Sun, 01 Jan 2023 00:00:00 UTC\n", NULL);
    /* (a field after the SHA256 list is still a field of the stanza) */
    g_autoptr(LoRelease) e = lo_release_parse(expired, strlen(expired), "Release", &error);
    g_assert_no_error(error);
    g_assert_cmpint(e->valid_until, ==, 1672531200);
    g_assert_false(lo_release_check(e, "bookworm", now, "R", &error));
    g_assert_nonnull(strstr(error->message, "expired on 2023-01-01 00:00 UTC"));
    g_clear_error(&error);
    g_assert_true(lo_release_check(e, "bookworm", 1672531199, "R", &error));

    const char *bad[] = {
        "Suite: x\n",
        "Suite: x\nSHA256:\n nothex 12 main/P\n",
        "Suite: x\nSHA256:\n " SHA_A " 12 ../../etc/passwd\n",
        "Suite: x\nSHA256:\n " SHA_A " 12 /abs\n",
        "Suite: x\nSHA256:\n " SHA_A " -1 main/P\n",
        "Suite: x\nSHA256:\n " SHA_A " 12 main/P extra\n",
        "Suite: x\nValid-Until: tomorrow\nSHA256:\n " SHA_A " 1 a\n",
        "Suite: x\nSHA256:\n " SHA_A " 1 a\n\nSuite: y\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        LoRelease *b = lo_release_parse(bad[i], strlen(bad[i]), "Release", &error);
        if (b != NULL) {
            g_error("case %" G_GSIZE_FORMAT " was accepted", i);
        }
        g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
        g_clear_error(&error);
    }
}

static void test_dates(void)
{
    g_assert_cmpint(lo_release_parse_date("Sat, 10 May 2025 09:11:12 UTC"), ==, 1746868272);
    g_assert_cmpint(lo_release_parse_date("10 May 2025 09:11:12 +0200"), ==, 1746868272 - 7200);
    g_assert_cmpint(lo_release_parse_date("Sat, 10 May 2025 09:11:12 GMT"), ==, 1746868272);
    const char *bad[] = {"",
                         "yesterday",
                         "Sat, 10 Mai 2025 09:11:12 UTC",
                         "Sat, 32 May 2025 09:11:12 UTC",
                         "Sat, 10 May 2025 09:11:12 CEST",
                         "Sat, 10 May 2025 09:11:12 UTC trailing"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmpint(lo_release_parse_date(bad[i]), ==, -1);
    }
}

static void test_mirror_paths(void)
{
    g_assert_true(lo_mirror_path_safe("pool/main/g/glibc/libc6_2.36-9+deb12u4_amd64.deb"));
    const char *bad[] = {"",    "/etc/passwd", "pool/../../x", "pool//x",
                         "./x", "a b",         "x?y",          "pool/main/%2e%2e/x"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(lo_mirror_path_safe(bad[i]));
    }
    g_autofree char *url = lo_deb_archive_url("http://m/debian/", "pool/a/b+c~d_1.deb");
    g_assert_cmpstr(url, ==, "http://m/debian/pool/a/b+c~d_1.deb");
    g_autoptr(GError) error = NULL;
    g_autofree char *m = lo_mirror_normalize("https://m.example/debian", &error);
    g_assert_cmpstr(m, ==, "https://m.example/debian/");
    g_autofree char *f = lo_mirror_normalize("file:///srv/debian/", &error);
    g_assert_cmpstr(f, ==, "file:///srv/debian/");
    const char *refused[] = {"ftp://m/debian", "debian",      "http://u:p@m/debian",
                             "http://m/?x",    "http://m/#x", "http://m/ debian"};
    for (gsize i = 0; i < G_N_ELEMENTS(refused); i++) {
        g_assert_null(lo_mirror_normalize(refused[i], &error));
        g_assert_error(error, LO_ERROR, LO_EXIT_USAGE);
        g_clear_error(&error);
    }
    g_assert_true(lo_debian_suite_valid("bookworm-backports"));
    g_assert_false(lo_debian_suite_valid("../x"));
    g_assert_false(lo_debian_suite_valid("bookworm/updates"));
}

/* ---- Packages ---------------------------------------------------------------- */

static void test_packages(void)
{
    const char *text =
        "Package: libc6\nVersion: 2.36-9\nArchitecture: amd64\nMulti-Arch: same\n"
        "Depends: libgcc-s1\nFilename: pool/main/g/glibc/libc6_2.36-9_amd64.deb\nSize: 100\n"
        "SHA256: " SHA_A "\n\n"
        "Package: data\nVersion: 1\nArchitecture: all\nFilename: pool/d.deb\nSize: 1\n"
        "SHA256: " SHA_A "\n\n"
        "Package: armonly\nVersion: 1\nArchitecture: arm64\nFilename: pool/a.deb\nSize: 1\n"
        "SHA256: " SHA_A "\n\n"
        "Package: escape\nVersion: 1\nArchitecture: amd64\nFilename: ../../x.deb\nSize: 1\n"
        "SHA256: " SHA_A "\n\n"
        "Package: nohash\nVersion: 1\nArchitecture: amd64\nFilename: pool/n.deb\nSize: 1\n\n"
        "Package: Bad_Name\nVersion: 1\nArchitecture: amd64\nFilename: pool/b.deb\nSize: 1\n"
        "SHA256: " SHA_A "\n";
    g_autoptr(LoDebUniverse) u = lo_deb_universe_new("amd64");
    guint skipped = 0;
    g_autofree char *first = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(
        lo_deb_packages_parse(text, strlen(text), "Packages", u, &skipped, &first, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(lo_deb_universe_size(u), ==, 2);
    g_assert_cmpuint(skipped, ==, 3);
    g_assert_cmpstr(first, ==,
                    "the stanza at line 24: no Filename field, or one that is not a plain path "
                    "to a .deb");
    const LoDebPackage *p = lo_deb_universe_lookup(u, "libc6");
    g_assert_cmpuint(p->size, ==, 100);
    g_assert_cmpstr(p->filename, ==, "pool/main/g/glibc/libc6_2.36-9_amd64.deb");
    g_assert_null(lo_deb_universe_lookup(u, "armonly"));
}

/* ---- apt sources --------------------------------------------------------------- */

static void test_apt_sources(void)
{
    const char *deb822 = "Types: deb\nURIs: http://deb.example/debian-security\n"
                         "Suites: bookworm-security\nComponents: main\n\n"
                         "Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm\n\n"
                         "Enabled: no\nTypes: deb\nURIs: http://off.example/debian\n"
                         "Suites: bookworm\n\n"
                         "Types: deb\nURIs: cdrom:/media/\nSuites: bookworm\n\n"
                         "# the main archive\nTypes: deb\nURIs: http://a.example/debian "
                         "http://b.example/debian\nSuites: trixie trixie-updates\n\n"
                         "Types: deb\nURIs: https://c.example/debian\nSuites: bookworm\n";
    gboolean lists = FALSE;
    g_autofree char *any = lo_apt_mirror_in_text(deb822, strlen(deb822), TRUE, "sid", &lists);
    g_assert_cmpstr(any, ==, "http://a.example/debian");
    g_assert_false(lists);
    g_autofree char *bookworm =
        lo_apt_mirror_in_text(deb822, strlen(deb822), TRUE, "bookworm", &lists);
    g_assert_cmpstr(bookworm, ==, "https://c.example/debian");
    g_assert_true(lists);
    const char *one_line = "# comment\ndeb-src http://s.example/debian bookworm main\n"
                           "deb http://security.example/debian-security/ bookworm-security main\n"
                           "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm "
                           "main # trailing\n";
    g_autofree char *m = lo_apt_mirror_in_text(one_line, strlen(one_line), FALSE, "x", NULL);
    g_assert_cmpstr(m, ==, "http://m.example/debian");
    g_assert_null(lo_apt_mirror_in_text("deb cdrom:/x/ a main\n", 20, FALSE, "a", NULL));

    /* Files in apt's order; an entry for the suite wins over an earlier one. */
    g_autofree char *dir = test_tmpdir();
    g_autofree char *a =
        test_write(dir, "sources.list", "deb http://first.example/debian sid main\n");
    g_autofree char *b = test_write(dir, "sources.list.d/b.sources",
                                    "Types: deb\nURIs: http://third.example/debian\n"
                                    "Suites: bookworm\n");
    g_autofree char *c =
        test_write(dir, "sources.list.d/a.list", "deb http://second.example/debian trixie main\n");
    g_autofree char *from = NULL;
    g_autofree char *sid = lo_apt_find_mirror(dir, "sid", &from);
    g_assert_cmpstr(sid, ==, "http://first.example/debian");
    g_assert_cmpstr(from, ==, a);
    g_clear_pointer(&from, g_free);
    g_autofree char *trixie = lo_apt_find_mirror(dir, "trixie", &from);
    g_assert_cmpstr(trixie, ==, "http://second.example/debian");
    g_assert_cmpstr(from, ==, c);
    g_clear_pointer(&from, g_free);
    g_autofree char *bw = lo_apt_find_mirror(dir, "bookworm", &from);
    g_assert_cmpstr(bw, ==, "http://third.example/debian");
    g_assert_cmpstr(from, ==, b);
    g_clear_pointer(&from, g_free);
    g_autofree char *none_dir = g_build_filename(dir, "nothing", NULL);
    g_assert_null(lo_apt_find_mirror(none_dir, "bookworm", &from));
    test_tmpdir_free(g_steal_pointer(&dir));
}

/* ---- the /usr merge ------------------------------------------------------------- */

static void test_merge_usr_paths(void)
{
    const struct {
        const char *in, *out;
    } cases[] = {
        {"lib", "usr/lib"},
        {"lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/libc.so.6"},
        {"lib64/ld-linux-x86-64.so.2", "usr/lib64/ld-linux-x86-64.so.2"},
        {"bin/sh", "usr/bin/sh"},
        {"libexec/x", "libexec/x"},
        {"library", "library"},
        {"usr/lib/x", "usr/lib/x"},
        {"etc/ld.so.conf", "etc/ld.so.conf"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *out = lo_extract_merge_usr_path(cases[i].in);
        g_assert_cmpstr(out, ==, cases[i].out);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/deb822/stanzas", test_deb822_stanzas);
    g_test_add_func("/deb822/refusals", test_deb822_refusals);
    g_test_add_func("/deb822/comments", test_deb822_comments);
    g_test_add_func("/deb/versions", test_versions);
    g_test_add_func("/deb/relations", test_relations);
    g_test_add_func("/deb/closure", test_closure);
    g_test_add_func("/deb/closure-install-only", test_closure_install_only);
    g_test_add_func("/deb/release", test_release);
    g_test_add_func("/deb/dates", test_dates);
    g_test_add_func("/deb/mirror-paths", test_mirror_paths);
    g_test_add_func("/deb/packages", test_packages);
    g_test_add_func("/deb/apt-sources", test_apt_sources);
    g_test_add_func("/deb/merge-usr-paths", test_merge_usr_paths);
    return g_test_run();
}
