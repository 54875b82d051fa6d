/* Small shared pieces: paths relative to the executable, "did you mean",
 * printing untrusted text, and the directory helpers of fsutil.c. */
#include "errors.h"
#include "paths.h"
#include "testutil.h"
#include "util.h"

#include <sys/stat.h>
#include <unistd.h>

static void test_relative_path(void)
{
    const struct {
        const char *from, *to, *out;
    } cases[] = {
        {"/usr/bin", "/usr/lib/x86_64-linux-gnu/qemu-lorelei",
         "../lib/x86_64-linux-gnu/qemu-lorelei"},
        {"/usr/local/bin", "/usr/local/libexec/qemu-lorelei/qemu-x86_64",
         "../libexec/qemu-lorelei/qemu-x86_64"},
        {"/a/build/launcher", "/a/profiles", "../../profiles"},
        {"/a/b", "/a/b", "."},
        {"/a/b/", "/a/b/c", "c"},
        {"/", "/x", "x"},
        {"/x/y", "/", "../.."},
        {"/a/./b/../c", "/a/d", "../d"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *r = lo_relative_path(cases[i].from, cases[i].to);
        g_assert_cmpstr(r, ==, cases[i].out);
    }
}

static void test_closest_match(void)
{
    const char *commands[] = {"run", "profile", "sysroot", "doctor", NULL};
    g_assert_cmpstr(lo_closest_match("rnu", commands), ==, "run");
    g_assert_cmpstr(lo_closest_match("prof", commands), ==, "profile");
    g_assert_cmpstr(lo_closest_match("sysrot", commands), ==, "sysroot");
    g_assert_cmpstr(lo_closest_match("docter", commands), ==, "doctor");
    g_assert_null(lo_closest_match("xyzzyplugh", commands));
    const char *none[] = {NULL};
    g_assert_null(lo_closest_match("run", none));
}

static void test_printable(void)
{
    g_autofree char *a = lo_printable("plain é", 100);
    g_assert_cmpstr(a, ==, "plain é");
    g_autofree char *b = lo_printable("\x1b[31mred\n", 100);
    g_assert_cmpstr(b, ==, "\\x1b[31mred\\x0a");
    g_autofree char *c = lo_printable("a\xc2\x9b"
                                      "b",
                                      100);
    g_assert_cmpstr(c, ==, "a\\u{009b}b");
    g_autofree char *d = lo_printable("abcdef", 3);
    g_assert_cmpstr(d, ==, "abc...");
    g_autofree char *e = lo_printable("bad\xff", 100);
    g_assert_cmpstr(e, ==, "bad\\xff");
    g_autofree char *f = lo_printable("mixed \xff\x1b é", -1);
    g_assert_cmpstr(f, ==, "mixed \\xff\\x1b é");
    g_autofree char *g = lo_printable_text("line 1\n\tline 2 \x1b[2J\r\xc2\x9b");
    g_assert_cmpstr(g, ==, "line 1\n\tline 2 \\x1b[2J\\x0d\\u{009b}");
}

static void test_rm_rf_never_follows_links(void)
{
    char *root = test_tmpdir();
    g_autofree char *keep = g_build_filename(root, "keep", NULL);
    g_autofree char *kept_file = test_write(root, "keep/precious", "x");
    g_autofree char *doomed = g_build_filename(root, "doomed", NULL);
    g_free(test_write(root, "doomed/sub/file", "y"));
    g_autofree char *link = g_build_filename(doomed, "link-to-keep", NULL);
    g_assert_cmpint(symlink(keep, link), ==, 0);
    g_autofree char *ro = g_build_filename(doomed, "sub", NULL);
    g_assert_cmpint(chmod(ro, 0500), ==, 0); /* read-only folders are no obstacle */
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_rm_rf(doomed, &error));
    g_assert_no_error(error);
    g_assert_false(g_file_test(doomed, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(kept_file, G_FILE_TEST_IS_REGULAR));
    /* A link given directly is removed itself, not its target. */
    g_autofree char *link2 = g_build_filename(root, "link2", NULL);
    g_assert_cmpint(symlink(keep, link2), ==, 0);
    g_assert_true(lo_rm_rf(link2, &error));
    g_assert_true(g_file_test(kept_file, G_FILE_TEST_IS_REGULAR));
    g_assert_true(lo_rm_rf(doomed, &error)); /* missing is fine */
    test_tmpdir_free(root);
}

static void test_replace_dir_swaps(void)
{
    char *root = test_tmpdir();
    g_autofree char *target = g_build_filename(root, "live", NULL);
    g_free(test_write(root, "live/old", "old"));
    g_autoptr(GError) error = NULL;
    g_autofree char *tmp = lo_mkdtemp_beside(target, &error);
    g_assert_no_error(error);
    g_autofree char *base = g_path_get_basename(tmp);
    g_assert_true(g_str_has_prefix(base, ".live.tmp-"));
    g_free(test_write(tmp, "new", "new"));
    g_assert_true(lo_replace_dir(tmp, target, &error));
    g_assert_no_error(error);
    g_autofree char *new_file = g_build_filename(target, "new", NULL);
    g_autofree char *old_file = g_build_filename(target, "old", NULL);
    g_assert_true(g_file_test(new_file, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(old_file, G_FILE_TEST_EXISTS));
    g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
    /* lo_rename_new never replaces. */
    g_autofree char *tmp2 = lo_mkdtemp_beside(target, &error);
    g_assert_false(lo_rename_new(tmp2, target, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_EXISTS);
    g_assert_true(g_file_test(new_file, G_FILE_TEST_EXISTS));
    test_tmpdir_free(root);
}

static void test_stale_temps_are_cleaned(void)
{
    char *root = test_tmpdir();
    /* pid 1 is alive (init), a pid past pid_max never is. */
    g_autofree char *dead = g_build_filename(root, ".x.tmp-99999999-abcdef", NULL);
    g_autofree char *alive = g_build_filename(root, ".x.tmp-1-abcdef", NULL);
    g_autofree char *mine = g_strdup_printf("%s/.x.tmp-%d-abcdef", root, getpid());
    g_autofree char *other = g_build_filename(root, "x", NULL);
    g_free(test_write(dead, "f", "x"));
    g_assert_cmpint(g_mkdir(alive, 0755), ==, 0);
    g_assert_cmpint(g_mkdir(mine, 0755), ==, 0);
    g_assert_cmpint(g_mkdir(other, 0755), ==, 0);
    lo_clean_stale_temps(root);
    g_assert_false(g_file_test(dead, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(alive, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(mine, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(other, G_FILE_TEST_EXISTS));
    test_tmpdir_free(root);
}

static void test_tree_size(void)
{
    char *root = test_tmpdir();
    g_free(test_write(root, "a", "12345"));
    g_free(test_write(root, "d/b", "123"));
    g_autofree char *link = g_build_filename(root, "l", NULL);
    g_assert_cmpint(symlink("/usr", link), ==, 0); /* not followed */
    g_assert_cmpuint(lo_tree_size(root), ==, 8);
    test_tmpdir_free(root);
}

static void test_artifact_env_override(void)
{
    char *root = test_tmpdir();
    g_autofree char *plugin = test_write(root, "p.so", "");
    g_setenv("LORELEI_PLUGIN", plugin, TRUE);
    g_autoptr(GError) error = NULL;
    g_autofree char *found = lo_artifact_find(LO_ARTIFACT_PLUGIN, &error);
    g_assert_cmpstr(found, ==, plugin);
    g_setenv("LORELEI_PLUGIN", "/nonexistent/p.so", TRUE);
    g_assert_null(lo_artifact_find(LO_ARTIFACT_PLUGIN, &error));
    g_assert_error(error, LO_ERROR, LO_EXIT_NOT_FOUND);
    g_assert_nonnull(strstr(error->message, "LORELEI_PLUGIN=/nonexistent/p.so: no such file"));
    g_clear_error(&error);
    g_unsetenv("LORELEI_PLUGIN");
    /* Without the variable: every place tried is named. */
    g_autoptr(GPtrArray) tried = lo_artifact_candidates(LO_ARTIFACT_PLUGIN);
    g_assert_cmpuint(tried->len, ==, 3);
    if (lo_artifact_find(LO_ARTIFACT_PLUGIN, &error) == NULL) {
        for (guint i = 0; i < tried->len; i++) {
            g_assert_nonnull(strstr(error->message, tried->pdata[i]));
        }
        g_assert_nonnull(strstr(error->message, "fix: "));
    }
    test_tmpdir_free(root);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/util/relative-path", test_relative_path);
    g_test_add_func("/util/closest-match", test_closest_match);
    g_test_add_func("/util/printable", test_printable);
    g_test_add_func("/fsutil/rm-rf-never-follows-links", test_rm_rf_never_follows_links);
    g_test_add_func("/fsutil/replace-dir-swaps", test_replace_dir_swaps);
    g_test_add_func("/fsutil/stale-temps-are-cleaned", test_stale_temps_are_cleaned);
    g_test_add_func("/fsutil/tree-size", test_tree_size);
    g_test_add_func("/paths/artifact-env-override", test_artifact_env_override);
    return g_test_run();
}
