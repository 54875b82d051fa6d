/* Safe extraction (extract.c): real formats work, hostile archives are
 * refused, and nothing is ever written outside the target. */
#include "archive-builder.h"
#include "errors.h"
#include "extract.h"
#include "testutil.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *root;   /* holds only target/ (and, for some tests, outside/) */
    char *target; /* where archives go */
    char *escape; /* a path outside everything, that must never appear */
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
    (void)data;
    f->root = test_tmpdir();
    f->target = g_build_filename(f->root, "target", NULL);
    g_assert_cmpint(g_mkdir(f->target, 0755), ==, 0);
    f->escape = g_strdup_printf("/tmp/lorelei-escape-%d-%u", getpid(), g_random_int());
}

/* Nothing but target/ (and what the test put there itself) may be in root. */
static void assert_contained(Fixture *f, const char *allowed_extra)
{
    g_autoptr(GDir) d = g_dir_open(f->root, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name(d)) != NULL) {
        if (strcmp(name, "target") != 0 && g_strcmp0(name, allowed_extra) != 0) {
            g_error("extraction wrote %s/%s outside the target", f->root, name);
        }
    }
    g_assert_false(g_file_test(f->escape, G_FILE_TEST_EXISTS));
}

static void teardown(Fixture *f, gconstpointer data)
{
    (void)data;
    assert_contained(f, "outside");
    lo_rm_rf(f->escape, NULL);
    g_free(f->escape);
    g_free(f->target);
    test_tmpdir_free(f->root);
}

static gboolean extract(Fixture *f, GBytes *bytes, LoExtractor *x, GError **error)
{
    LoExtractor defaults = {.target = f->target,
                            .max_bytes = LO_EXTRACT_DEFAULT_MAX_BYTES,
                            .max_entries = LO_EXTRACT_DEFAULT_MAX_ENTRIES};
    if (x == NULL) {
        x = &defaults;
    }
    x->target = f->target;
    gsize size;
    gconstpointer data = g_bytes_get_data(bytes, &size);
    return lo_extract_memory(x, data, size, "test.tar", error);
}

static char *read_in(Fixture *f, const char *rel)
{
    g_autofree char *path = g_build_filename(f->target, rel, NULL);
    char *text = NULL;
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    return text;
}

static char *link_in(Fixture *f, const char *rel)
{
    g_autofree char *path = g_build_filename(f->target, rel, NULL);
    char *target = g_file_read_link(path, NULL);
    g_assert_nonnull(target);
    return target;
}

static const TestEntry rootfs[] = {
    {"./", 'd', NULL, 0},
    {"./usr/", 'd', NULL, 0},
    {"./usr/lib/", 'd', NULL, 0},
    {"./usr/lib/x86_64-linux-gnu/", 'd', NULL, 0},
    {"./usr/lib/x86_64-linux-gnu/libc.so.6", 'f', "ELF pretend", 0755},
    {"./usr/lib64/", 'd', NULL, 0},
    /* A rootfs's absolute link means "in this root". */
    {"./usr/lib64/ld-linux-x86-64.so.2", 'l', "/usr/lib/x86_64-linux-gnu/libc.so.6", 0},
    {"./lib", 'l', "usr/lib", 0},
    {"./usr/lib/x86_64-linux-gnu/libc.so", 'l', "libc.so.6", 0},
    {"./usr/lib/x86_64-linux-gnu/libc-copy.so.6", 'h', "./usr/lib/x86_64-linux-gnu/libc.so.6", 0},
    {"./usr/bin/", 'd', NULL, 0},
    {"./usr/bin/su", 'f', "setuid", 04755},
    {"./usr/share/x", 'f', "parent folders made on the way", 0},
    {"./etc/", 'd', NULL, 01777},
    {"./etc/up", 'l', "../usr/share/x", 0},
    {"./etc/root", 'l', "/", 0},
    {"./dev/null", 'c', NULL, 0},
    {"./run/fifo", 'p', NULL, 0},
    {NULL, 0, NULL, 0},
};

static void check_rootfs(Fixture *f, LoExtractor *x)
{
    g_autofree char *libc = read_in(f, "usr/lib/x86_64-linux-gnu/libc.so.6");
    g_assert_cmpstr(libc, ==, "ELF pretend");
    g_autofree char *ld = link_in(f, "usr/lib64/ld-linux-x86-64.so.2");
    g_assert_cmpstr(ld, ==, "../../usr/lib/x86_64-linux-gnu/libc.so.6");
    g_autofree char *through = read_in(f, "usr/lib64/ld-linux-x86-64.so.2");
    g_assert_cmpstr(through, ==, "ELF pretend");
    g_autofree char *lib = link_in(f, "lib");
    g_assert_cmpstr(lib, ==, "usr/lib");
    g_autofree char *rootlink = link_in(f, "etc/root");
    g_assert_cmpstr(rootlink, ==, "..");
    g_autofree char *copy = read_in(f, "usr/lib/x86_64-linux-gnu/libc-copy.so.6");
    g_assert_cmpstr(copy, ==, "ELF pretend");
    g_autofree char *up = read_in(f, "etc/up");
    g_assert_cmpstr(up, ==, "parent folders made on the way");
    struct stat st;
    g_autofree char *su = g_build_filename(f->target, "usr/bin/su", NULL);
    g_assert_cmpint(stat(su, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07000, ==, 0); /* no set-user-ID in a sysroot */
    g_autofree char *etc = g_build_filename(f->target, "etc", NULL);
    g_assert_cmpint(stat(etc, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 01000, ==, 0);
    g_autofree char *dev = g_build_filename(f->target, "dev/null", NULL);
    g_assert_false(g_file_test(dev, G_FILE_TEST_EXISTS));
    g_autofree char *fifo = g_build_filename(f->target, "run/fifo", NULL);
    g_assert_false(g_file_test(fifo, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(x->skipped_special, ==, 2);
}

static void test_rootfs_in_every_format(Fixture *f, gconstpointer data)
{
    (void)data;
    const int filters[] = {ARCHIVE_FILTER_NONE, ARCHIVE_FILTER_GZIP, ARCHIVE_FILTER_XZ,
                           ARCHIVE_FILTER_ZSTD, ARCHIVE_FILTER_BZIP2};
    for (gsize i = 0; i < G_N_ELEMENTS(filters); i++) {
        g_autoptr(GBytes) tar = test_build_tar(filters[i], rootfs);
        LoExtractor x = {.max_bytes = 1 << 20, .max_entries = 100};
        g_autoptr(GError) error = NULL;
        g_assert_true(extract(f, tar, &x, &error));
        g_assert_no_error(error);
        check_rootfs(f, &x);
        g_assert_true(lo_rm_rf(f->target, NULL));
        g_assert_cmpint(g_mkdir(f->target, 0755), ==, 0);
    }
}

static void test_deb(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(GBytes) deb = test_build_deb(rootfs);
    LoExtractor x = {.max_bytes = 1 << 20, .max_entries = 100};
    g_autoptr(GError) error = NULL;
    g_assert_true(extract(f, deb, &x, &error));
    g_assert_no_error(error);
    check_rootfs(f, &x);
    /* The control archive is not part of the root file system. */
    g_autofree char *control = g_build_filename(f->target, "control", NULL);
    g_assert_false(g_file_test(control, G_FILE_TEST_EXISTS));

    g_autoptr(GBytes) no_data = test_build_deb(NULL);
    g_assert_false(extract(f, no_data, NULL, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    g_assert_nonnull(strstr(error->message, "not a Debian package: it has no data.tar member"));
}

/* A sysroot takes amd64 and 'all' packages only, and only real packages. */
static void test_deb_architecture(Fixture *f, gconstpointer data)
{
    (void)data;
    static const TestEntry lib[] = {{"./usr/lib/libx.so.1", 'f', "x", 0}, {NULL, 0, NULL, 0}};
    const struct {
        const char *control, *needle;
    } cases[] = {
        {"Package: libx1\nArchitecture: arm64\n",
         "fuzz-name is a package for arm64 (its control file says Architecture: arm64), but an "
         "x86_64 sysroot takes only amd64 and 'all' packages"},
        {"Package: libx1\nArchitecture: i386\n", "apt-get download libx1:amd64"},
        {"Package: libx1\n", "its control file has no Architecture field"},
        {"Package libx1\n", "its control file, line 1: 'Package libx1' is not a 'Field: value'"},
        {NULL, "not a Debian package: no control.tar member before its data"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GBytes) deb = test_build_deb_with_control(cases[i].control, lib);
        LoExtractor x = {.target = f->target, .max_bytes = 1 << 20, .max_entries = 100};
        g_autoptr(GError) error = NULL;
        gsize size;
        gconstpointer bytes = g_bytes_get_data(deb, &size);
        g_assert_false(lo_extract_memory(&x, bytes, size, "fuzz-name", &error));
        g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
        if (strstr(error->message, cases[i].needle) == NULL) {
            g_error("case %" G_GSIZE_FORMAT ": '%s' lacks '%s'", i, error->message,
                    cases[i].needle);
        }
        g_autofree char *written = g_build_filename(f->target, "usr", NULL);
        g_assert_false(g_file_test(written, G_FILE_TEST_EXISTS));
    }
    g_autoptr(GBytes) all = test_build_deb_with_control("Package: d\nArchitecture: all\n", lib);
    g_autoptr(GError) error = NULL;
    g_assert_true(extract(f, all, NULL, &error));
    g_assert_no_error(error);
}

static void assert_link(Fixture *f, const char *rel, const char *target)
{
    g_autofree char *path = g_build_filename(f->target, rel, NULL);
    g_autofree char *got = g_file_read_link(path, NULL);
    if (g_strcmp0(got, target) != 0) {
        g_error("%s -> %s, expected %s", rel, got, target);
    }
}

static void assert_content(Fixture *f, const char *rel, const char *text)
{
    g_autofree char *path = g_build_filename(f->target, rel, NULL);
    g_autofree char *got = NULL;
    g_assert_true(g_file_get_contents(path, &got, NULL, NULL));
    g_assert_cmpstr(got, ==, text);
}

/* Packages written into a merged /usr: entries and links move with it. */
static void test_merge_usr(Fixture *f, gconstpointer data)
{
    (void)data;
    static const TestEntry entries[] = {
        {"./lib", 'l', "usr/lib", 0}, /* a merged root's own link: the merge makes it */
        {"./lib/", 'd', NULL, 0},
        {"./lib/x86_64-linux-gnu/libc.so.6", 'f', "libc", 0},
        {"./lib/x86_64-linux-gnu/libc.so", 'l', "libc.so.6", 0},
        {"./lib/x86_64-linux-gnu/hard", 'h', "./lib/x86_64-linux-gnu/libc.so.6", 0},
        {"./lib/x86_64-linux-gnu/doc", 'l', "../../usr/share/doc", 0},
        {"./lib64/ld-linux-x86-64.so.2", 'l', "/lib/x86_64-linux-gnu/libc.so.6", 0},
        {"./usr/lib/x86_64-linux-gnu/libz.so", 'l', "/lib/x86_64-linux-gnu/libc.so.6", 0},
        {"./usr/share/doc/README", 'f', "doc", 0},
        {"./bin/sh", 'f', "sh", 0},
        {"./etc/ld.so.conf", 'f', "conf", 0},
        {NULL, 0, NULL, 0},
    };
    g_autoptr(GBytes) deb = test_build_deb(entries);
    LoExtractor x = {.max_bytes = 1 << 20, .max_entries = 100, .merge_usr = TRUE};
    g_autoptr(GError) error = NULL;
    g_assert_true(extract(f, deb, &x, &error));
    g_assert_no_error(error);
    g_assert_true(lo_extract_finish_usr_merge(f->target, &error));
    g_assert_no_error(error);
    g_assert_true(lo_extract_is_merged(f->target));
    assert_link(f, "lib", "usr/lib");
    assert_link(f, "lib64", "usr/lib64");
    assert_link(f, "bin", "usr/bin");
    assert_content(f, "usr/lib/x86_64-linux-gnu/libc.so.6", "libc");
    assert_content(f, "usr/lib/x86_64-linux-gnu/hard", "libc");
    assert_link(f, "usr/lib/x86_64-linux-gnu/libc.so", "libc.so.6");
    assert_link(f, "usr/lib/x86_64-linux-gnu/doc", "../../share/doc");
    assert_content(f, "lib/x86_64-linux-gnu/doc/README", "doc");
    assert_link(f, "usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/libc.so.6");
    assert_content(f, "lib64/ld-linux-x86-64.so.2", "libc");
    assert_link(f, "usr/lib/x86_64-linux-gnu/libz.so", "libc.so.6");
    assert_content(f, "bin/sh", "sh");
    assert_content(f, "etc/ld.so.conf", "conf");
    g_autofree char *sbin = g_build_filename(f->target, "sbin", NULL);
    g_assert_false(g_file_test(sbin, G_FILE_TEST_EXISTS)); /* usr/sbin does not exist */
    /* A second package into the merged tree, as `sysroot import` does. */
    static const TestEntry more[] = {{"./lib/x86_64-linux-gnu/libm.so.6", 'f', "libm", 0},
                                     {NULL, 0, NULL, 0}};
    g_autoptr(GBytes) deb2 = test_build_deb(more);
    g_assert_true(extract(f, deb2, &x, &error));
    assert_content(f, "usr/lib/x86_64-linux-gnu/libm.so.6", "libm");
    /* Without the merge, the same package through the lib link is refused. */
    LoExtractor plain = {.max_bytes = 1 << 20, .max_entries = 100};
    g_assert_false(extract(f, deb2, &plain, &error));
    g_assert_nonnull(strstr(error->message, "a path through a symbolic link"));
    g_clear_error(&error);
    /* Escapes stay refused after the merge. */
    static const TestEntry hostile[] = {{"./lib/esc", 'l', "../../..", 0}, {NULL, 0, NULL, 0}};
    g_autoptr(GBytes) deb3 = test_build_deb(hostile);
    g_assert_false(extract(f, deb3, &x, &error));
    g_assert_nonnull(strstr(error->message, "pointing outside the sysroot"));
}

/* Files of this machine (dpkg's lists), copied into a merged /usr. */
static void test_host_files(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *host = g_build_filename(f->root, "outside", NULL);
    g_autofree char *libc = test_write(host, "real/libc.so.6", "libc");
    g_autofree char *moved = test_write(host, "real/libz.so.1.distrib", "zlib");
    g_autofree char *dir = g_build_filename(host, "real", NULL);
    g_autofree char *link = g_build_filename(host, "real/libc.so", NULL);
    g_assert_cmpint(symlink("libc.so.6", link), ==, 0);
    g_autofree char *dir_link = g_build_filename(host, "lib", NULL);
    g_assert_cmpint(symlink("real", dir_link), ==, 0);
    g_autofree char *missing = g_build_filename(host, "gone", NULL);
    const LoHostFile files[] = {
        {"/lib", dir_link, TRUE}, /* a link on the host, a folder in the sysroot */
        {"/lib/x86_64-linux-gnu/libc.so.6", libc, FALSE},
        {"/lib/x86_64-linux-gnu/libc.so", link, FALSE},
        {"/usr/lib/x86_64-linux-gnu/libz.so.1", moved, FALSE},
        {"/usr/lib/x86_64-linux-gnu/gone.so", missing, FALSE},
        {"/etc", dir, TRUE},
    };
    LoExtractor x = {
        .target = f->target, .max_bytes = 1 << 20, .max_entries = 100, .merge_usr = TRUE};
    guint gone = 0, unreadable = 0;
    g_autofree char *first = NULL;
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_extract_host_files(&x, files, G_N_ELEMENTS(files), "test", &gone, &unreadable,
                                        &first, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(gone, ==, 1);
    g_assert_cmpuint(unreadable, ==, 0);
    g_assert_nonnull(strstr(first, "gone: No such file or directory"));
    g_assert_true(lo_extract_finish_usr_merge(f->target, &error));
    assert_content(f, "usr/lib/x86_64-linux-gnu/libc.so.6", "libc");
    assert_link(f, "usr/lib/x86_64-linux-gnu/libc.so", "libc.so.6");
    assert_content(f, "lib/x86_64-linux-gnu/libz.so.1", "zlib");
    assert_link(f, "lib", "usr/lib");
    g_autofree char *etc = g_build_filename(f->target, "etc", NULL);
    g_assert_true(g_file_test(etc, G_FILE_TEST_IS_DIR));
    g_assert_false(g_file_test(etc, G_FILE_TEST_IS_SYMLINK));
}

static void expect_refused(Fixture *f, const TestEntry *entries, const char *needle)
{
    g_autoptr(GBytes) tar = test_build_tar(ARCHIVE_FILTER_GZIP, entries);
    g_autoptr(GError) error = NULL;
    g_assert_false(extract(f, tar, NULL, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    if (strstr(error->message, needle) == NULL) {
        g_error("message '%s' lacks '%s'", error->message, needle);
    }
    assert_contained(f, "outside");
    g_assert_true(lo_rm_rf(f->target, NULL));
    g_assert_cmpint(g_mkdir(f->target, 0755), ==, 0);
}

static void test_hostile_archives(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *escape_file = g_strconcat(f->escape, "/pwned", NULL);
    {
        TestEntry e[] = {{f->escape, 'd', NULL, 0}, {escape_file, 'f', "x", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "an absolute path");
    }
    {
        TestEntry e[] = {{"a/../../outside-file", 'f', "x", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "refused entry 'a/../../outside-file': a '..' component");
    }
    {
        TestEntry e[] = {{"..", 'd', NULL, 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "a '..' component");
    }
    {
        TestEntry e[] = {{"up", 'l', "../outside", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "a symbolic link pointing outside the sysroot");
    }
    {
        TestEntry e[] = {{"a/b/up", 'l', "../../..", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "pointing outside the sysroot");
    }
    {
        /* ".." after a name can climb out through another link. */
        TestEntry e[] = {{"self", 'l', ".", 0}, {"a/b", 'l', "../self/..", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "a symbolic link with '..' after a name");
    }
    {
        TestEntry e[] = {{"abs", 'l', "/usr/../../etc", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "'..' after a name");
    }
    {
        /* The classic: a link to the outside, then a file through it. */
        g_autofree char *outside = g_build_filename(f->root, "outside", NULL);
        g_assert_cmpint(g_mkdir(outside, 0755), ==, 0);
        TestEntry e[] = {
            {"esc", 'l', "/", 0}, {"esc/outside/pwned", 'f', "x", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "refused entry 'esc/outside/pwned': a path through a symbolic link");
        g_autofree char *pwned = g_build_filename(outside, "pwned", NULL);
        g_assert_false(g_file_test(pwned, G_FILE_TEST_EXISTS));
    }
    {
        TestEntry e[] = {{"hl", 'h', "/etc/passwd", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "an absolute path");
    }
    {
        TestEntry e[] = {{"hl", 'h', "../outside/x", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "a '..' component");
    }
    {
        TestEntry e[] = {{"hl", 'h', "./", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "a hard link to the root");
    }
    {
        TestEntry e[] = {{"hl", 'h', "not-there", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "a hard link to an entry not extracted before");
    }
    {
        /* A relative link means something else at another depth. */
        TestEntry e[] = {
            {"a/b/c/l", 'l', "../../../x", 0}, {"hl", 'h', "a/b/c/l", 0}, {NULL, 0, NULL, 0}};
        expect_refused(f, e, "a hard link to a symbolic link");
    }
    {
        TestEntry e[] = {{"", 'f', "x", 0}, {NULL, 0, NULL, 0}};
        g_autoptr(GBytes) tar = test_build_tar(ARCHIVE_FILTER_NONE, e);
        g_autoptr(GError) error = NULL;
        /* libarchive may refuse to read it itself; either way nothing lands. */
        g_assert_false(extract(f, tar, NULL, &error));
    }
}

static void test_an_existing_link_is_replaced_not_followed(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *outside = g_build_filename(f->root, "outside", NULL);
    g_assert_cmpint(g_mkdir(outside, 0755), ==, 0);
    g_autofree char *victim = g_build_filename(outside, "victim", NULL);
    g_assert_true(g_file_set_contents(victim, "original", -1, NULL));
    /* As if an earlier import (or a crafted first archive) left a link. */
    g_autofree char *link = g_build_filename(f->target, "file", NULL);
    g_assert_cmpint(symlink(victim, link), ==, 0);
    TestEntry e[] = {{"file", 'f', "new contents", 0}, {NULL, 0, NULL, 0}};
    g_autoptr(GBytes) tar = test_build_tar(ARCHIVE_FILTER_NONE, e);
    g_autoptr(GError) error = NULL;
    g_assert_true(extract(f, tar, NULL, &error));
    g_autofree char *kept = NULL;
    g_assert_true(g_file_get_contents(victim, &kept, NULL, NULL));
    g_assert_cmpstr(kept, ==, "original");
    g_autofree char *now = read_in(f, "file");
    g_assert_cmpstr(now, ==, "new contents");
    g_assert_false(g_file_test(link, G_FILE_TEST_IS_SYMLINK));
}

static void test_limits(Fixture *f, gconstpointer data)
{
    (void)data;
    TestEntry big[] = {{"big", 'f', "0123456789012345678901234567890123456789", 0},
                       {NULL, 0, NULL, 0}};
    g_autoptr(GBytes) tar = test_build_tar(ARCHIVE_FILTER_GZIP, big);
    LoExtractor x = {.max_bytes = 16, .max_entries = 100};
    g_autoptr(GError) error = NULL;
    g_assert_false(extract(f, tar, &x, &error));
    g_assert_nonnull(strstr(error->message, "expands to more than 16 bytes, the limit"));
    g_assert_nonnull(strstr(error->message, "--max-size"));
    g_clear_error(&error);
    TestEntry many[] = {
        {"a", 'f', "1", 0}, {"b", 'f', "2", 0}, {"c", 'f', "3", 0}, {NULL, 0, NULL, 0}};
    g_autoptr(GBytes) tar2 = test_build_tar(ARCHIVE_FILTER_NONE, many);
    LoExtractor y = {.max_bytes = 100, .max_entries = 2};
    g_assert_false(extract(f, tar2, &y, &error));
    g_assert_nonnull(strstr(error->message, "holds more than 2 entries, the limit"));
}

static void test_damaged_archives(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autoptr(GBytes) tar = test_build_tar(ARCHIVE_FILTER_XZ, rootfs);
    gsize size;
    const guint8 *bytes = g_bytes_get_data(tar, &size);
    g_autoptr(GBytes) cut = g_bytes_new(bytes, size / 2);
    g_autoptr(GError) error = NULL;
    g_assert_false(extract(f, cut, NULL, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
    g_assert_nonnull(strstr(error->message, "test.tar: "));
    g_assert_nonnull(strstr(error->message, "complete tar"));
    g_clear_error(&error);
    g_autoptr(GBytes) junk =
        g_bytes_new_static("this is not an archive at all, not even close", 45);
    g_assert_false(extract(f, junk, NULL, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INVALID);
}

static void test_interrupt(Fixture *f, gconstpointer data)
{
    (void)data;
    lo_interrupt_begin();
    raise(SIGINT); /* the handler only sets the flag */
    g_assert_true(lo_interrupted());
    g_autoptr(GBytes) tar = test_build_tar(ARCHIVE_FILTER_NONE, rootfs);
    g_autoptr(GError) error = NULL;
    g_assert_false(extract(f, tar, NULL, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_INTERRUPTED);
    lo_interrupt_end();
    lo_interrupt_begin(); /* resets the flag */
    g_assert_false(lo_interrupted());
    lo_interrupt_end();
}

static void test_copy_a_folder(Fixture *f, gconstpointer data)
{
    (void)data;
    g_autofree char *src = g_build_filename(f->root, "outside", NULL);
    g_autofree char *sub = g_build_filename(src, "usr", "lib", NULL);
    g_assert_cmpint(g_mkdir_with_parents(sub, 0755), ==, 0);
    g_free(test_write(src, "usr/lib/libx.so.1", "x"));
    g_autofree char *l1 = g_build_filename(src, "usr/lib/libx.so", NULL);
    g_assert_cmpint(symlink("libx.so.1", l1), ==, 0);
    g_autofree char *l2 = g_build_filename(src, "etc-link", NULL);
    g_assert_cmpint(symlink("/etc", l2), ==, 0); /* copied as a link, not followed */
    g_autofree char *l3 = g_build_filename(src, "bad", NULL);
    LoExtractor x = {.target = f->target, .max_bytes = 1 << 20, .max_entries = 100};
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_extract_dir(&x, src, &error));
    g_assert_no_error(error);
    g_autofree char *lib = read_in(f, "usr/lib/libx.so");
    g_assert_cmpstr(lib, ==, "x");
    g_autofree char *etc = link_in(f, "etc-link");
    g_assert_cmpstr(etc, ==, "etc");
    g_autofree char *passwd = g_build_filename(f->target, "passwd", NULL);
    g_assert_false(g_file_test(passwd, G_FILE_TEST_EXISTS));
    /* A link in the source that leads out of it is refused like in an archive. */
    g_assert_cmpint(symlink("../../outside-of-source", l3), ==, 0);
    g_assert_true(lo_rm_rf(f->target, NULL));
    g_assert_cmpint(g_mkdir(f->target, 0755), ==, 0);
    g_assert_false(lo_extract_dir(&x, src, &error));
    g_assert_nonnull(strstr(error->message, "pointing outside the sysroot"));
    g_clear_error(&error);
    g_assert_cmpint(unlink(l3), ==, 0);
    /* A tree deeper than any root file system is refused, not recursed into. */
    GString *deep = g_string_new(src);
    for (int i = 0; i < 130; i++) {
        g_string_append(deep, "/d");
    }
    g_assert_cmpint(g_mkdir_with_parents(deep->str, 0755), ==, 0);
    g_string_free(deep, TRUE);
    g_assert_true(lo_rm_rf(f->target, NULL));
    g_assert_cmpint(g_mkdir(f->target, 0755), ==, 0);
    x.max_entries = 1000;
    g_assert_false(lo_extract_dir(&x, src, &error));
    g_assert_nonnull(strstr(error->message, "folders nested deeper than 128"));
}

static void test_path_rules(void)
{
    const char *why = NULL;
    struct {
        const char *in, *out;
    } ok[] = {{"./a//b/./c/", "a/b/c"}, {".", ""}, {"a", "a"}, {"a...b/..c", "a...b/..c"}};
    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
        g_autofree char *n = lo_extract_normalize_path(ok[i].in, &why);
        g_assert_cmpstr(n, ==, ok[i].out);
    }
    g_assert_null(lo_extract_normalize_path("/a", &why));
    g_assert_null(lo_extract_normalize_path("a/..", &why));
    g_assert_null(lo_extract_normalize_path("", &why));
    struct {
        const char *link, *target, *out;
    } links[] = {
        {"usr/lib64/ld.so", "/usr/lib/ld.so", "../../usr/lib/ld.so"},
        {"lib", "usr/lib", "usr/lib"},
        {"etc/root", "/", ".."},
        {"x", "/", "."},
        {"a/b/c", "../../d", "../../d"},
        {"a/b", "./c/./d/", "c/d"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(links); i++) {
        g_autofree char *r = lo_extract_rewrite_symlink(links[i].link, links[i].target, &why);
        g_assert_cmpstr(r, ==, links[i].out);
    }
    g_assert_null(lo_extract_rewrite_symlink("a/b", "../../c", &why));
    g_assert_null(lo_extract_rewrite_symlink("a", "b/../c", &why));
    g_assert_null(lo_extract_rewrite_symlink("a", "", &why));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, setup, fn, teardown)
    ADD("/extract/rootfs-in-every-format", test_rootfs_in_every_format);
    ADD("/extract/deb", test_deb);
    ADD("/extract/deb-architecture", test_deb_architecture);
    ADD("/extract/merge-usr", test_merge_usr);
    ADD("/extract/host-files", test_host_files);
    ADD("/extract/hostile-archives", test_hostile_archives);
    ADD("/extract/an-existing-link-is-replaced-not-followed",
        test_an_existing_link_is_replaced_not_followed);
    ADD("/extract/limits", test_limits);
    ADD("/extract/damaged-archives", test_damaged_archives);
    ADD("/extract/interrupt", test_interrupt);
    ADD("/extract/copy-a-folder", test_copy_a_folder);
    g_test_add_func("/extract/path-rules", test_path_rules);
    return g_test_run();
}
