/* What `report` hides (report-scrub.c): the home folder as a whole path,
 * user and host names as whole words only. */
#include "report-scrub.h"

#include <glib.h>

static void check(const char *in, const char *expected)
{
    g_autofree char *out = lo_report_scrub(in, "/home/alx", "alx", "box1");
    g_assert_cmpstr(out, ==, expected);
}

static void test_scrub(void)
{
    check("/home/alx/Games/x", "~/Games/x");
    check("path /home/alx", "path ~");
    check("/home/alxandra/x", "/home/alxandra/x"); /* not this user's home */
    check("alx's box1 ran", "USER's HOST ran");
    check("halx alxa box12", "halx alxa box12"); /* inside longer words */
    check("/tmp/alx/x", "/tmp/USER/x");
    g_autofree char *root =
        lo_report_scrub("/root/.cache sysroot root-owned root", "/root", "root", "gamebox");
    g_assert_cmpstr(root, ==, "~/.cache sysroot root-owned USER");
    /* Names too short to hide anything are left alone. */
    g_autofree char *short_name = lo_report_scrub("a b c", "/h", "a", "b");
    g_assert_cmpstr(short_name, ==, "a b c");
    g_autofree char *no_home = lo_report_scrub("/x", "/", "nobody", NULL);
    g_assert_cmpstr(no_home, ==, "/x");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/scrub/scrub", test_scrub);
    return g_test_run();
}
