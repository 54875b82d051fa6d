/*
 * Helpers shared by the launcher's C unit tests (GLib's g_test): temporary
 * folders that are removed at the end, and files written in one call.
 */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

#include "fsutil.h"

/* A fresh temporary folder; removed by test_tmpdir_free(). */
static inline char *test_tmpdir(void)
{
    g_autoptr(GError) error = NULL;
    char *dir = g_dir_make_tmp("lorelei-test-XXXXXX", &error);
    g_assert_no_error(error);
    return dir;
}

static inline void test_tmpdir_free(char *dir)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(lo_rm_rf(dir, &error));
    g_assert_no_error(error);
    g_free(dir);
}

/* Writes text to dir/name (creating folders), returns the path. */
static inline char *test_write(const char *dir, const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    g_autofree char *parent = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
    g_autoptr(GError) error = NULL;
    g_assert_true(g_file_set_contents(path, text, -1, &error));
    return path;
}

/* TRUE when some string in problems contains needle. */
static inline gboolean test_has_problem(GPtrArray *problems, const char *needle)
{
    for (guint i = 0; i < problems->len; i++) {
        if (strstr(problems->pdata[i], needle) != NULL) {
            return TRUE;
        }
    }
    return FALSE;
}

static inline void test_dump_problems(GPtrArray *problems)
{
    for (guint i = 0; i < problems->len; i++) {
        g_test_message("problem: %s", (const char *)problems->pdata[i]);
    }
}
