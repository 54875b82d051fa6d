/*
 * Builds tar archives and .deb packages in memory for the extraction tests
 * and the fuzzer's seed corpus, including the malformed and hostile ones an
 * ordinary tar would refuse to write.
 */
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <glib.h>
#include <string.h>

typedef struct {
    const char *path;
    char type; /* 'f' file, 'd' folder, 'l' symbolic link, 'h' hard link, 'c' device, 'p' FIFO */
    const char *data; /* file contents, or the link target */
    unsigned mode;    /* 0: 0644 (0755 for folders) */
} TestEntry;

static la_ssize_t test_archive_write_cb(struct archive *a, void *data, const void *buf, size_t n)
{
    (void)a;
    g_byte_array_append(data, buf, n);
    return (la_ssize_t)n;
}

/* A tar (filter: ARCHIVE_FILTER_NONE, _GZIP, _XZ, _ZSTD, _BZIP2) of the
 * entries, which end with one whose path is NULL. */
static inline GBytes *test_build_tar(int filter, const TestEntry *entries)
{
    GByteArray *out = g_byte_array_new();
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter(a, filter);
    archive_write_set_bytes_in_last_block(a, 1);
    g_assert_cmpint(archive_write_open(a, out, NULL, test_archive_write_cb, NULL), ==, ARCHIVE_OK);
    for (const TestEntry *e = entries; e->path != NULL; e++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e->path);
        archive_entry_set_mtime(ae, 1700000000, 0);
        unsigned mode = e->mode ? e->mode : (e->type == 'd' ? 0755 : 0644);
        archive_entry_set_perm(ae, mode);
        gsize size = 0;
        switch (e->type) {
        case 'f':
            archive_entry_set_filetype(ae, AE_IFREG);
            size = e->data != NULL ? strlen(e->data) : 0;
            break;
        case 'd':
            archive_entry_set_filetype(ae, AE_IFDIR);
            break;
        case 'l':
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_set_symlink(ae, e->data);
            break;
        case 'h':
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_hardlink(ae, e->data);
            break;
        case 'c':
            archive_entry_set_filetype(ae, AE_IFCHR);
            archive_entry_set_rdevmajor(ae, 1);
            archive_entry_set_rdevminor(ae, 3);
            break;
        case 'p':
            archive_entry_set_filetype(ae, AE_IFIFO);
            break;
        }
        archive_entry_set_size(ae, size);
        g_assert_cmpint(archive_write_header(a, ae), ==, ARCHIVE_OK);
        if (size > 0) {
            g_assert_cmpint(archive_write_data(a, e->data, size), ==, (la_ssize_t)size);
        }
        archive_entry_free(ae);
    }
    g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
    archive_write_free(a);
    return g_byte_array_free_to_bytes(out);
}

/* A Debian package: debian-binary, control.tar.xz holding control (none
 * when NULL) and a data.tar.xz of the entries (no data member when entries
 * is NULL). */
static inline GBytes *test_build_deb_with_control(const char *control_text,
                                                  const TestEntry *entries)
{
    const TestEntry control[] = {{"./control", 'f', control_text, 0}, {NULL, 0, NULL, 0}};
    g_autoptr(GBytes) control_tar =
        control_text != NULL ? test_build_tar(ARCHIVE_FILTER_XZ, control) : NULL;
    g_autoptr(GBytes) data_tar =
        entries != NULL ? test_build_tar(ARCHIVE_FILTER_XZ, entries) : NULL;
    GByteArray *out = g_byte_array_new();
    struct archive *a = archive_write_new();
    archive_write_set_format_ar_svr4(a);
    archive_write_set_bytes_in_last_block(a, 1);
    g_assert_cmpint(archive_write_open(a, out, NULL, test_archive_write_cb, NULL), ==, ARCHIVE_OK);
    struct {
        const char *name;
        gconstpointer data;
        gsize size;
    } members[] = {
        {"debian-binary", "2.0\n", 4},
        {"control.tar.xz", control_tar ? g_bytes_get_data(control_tar, NULL) : NULL,
         control_tar ? g_bytes_get_size(control_tar) : 0},
        {"data.tar.xz", data_tar ? g_bytes_get_data(data_tar, NULL) : NULL,
         data_tar ? g_bytes_get_size(data_tar) : 0},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(members); i++) {
        if (members[i].data == NULL) {
            continue;
        }
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, members[i].name);
        archive_entry_set_filetype(ae, AE_IFREG);
        archive_entry_set_perm(ae, 0644);
        archive_entry_set_size(ae, members[i].size);
        g_assert_cmpint(archive_write_header(a, ae), ==, ARCHIVE_OK);
        g_assert_cmpint(archive_write_data(a, members[i].data, members[i].size), ==,
                        (la_ssize_t)members[i].size);
        archive_entry_free(ae);
    }
    g_assert_cmpint(archive_write_close(a), ==, ARCHIVE_OK);
    archive_write_free(a);
    return g_byte_array_free_to_bytes(out);
}

/* An amd64 package of the entries. */
static inline GBytes *test_build_deb(const TestEntry *entries)
{
    return test_build_deb_with_control("Package: test\nArchitecture: amd64\n", entries);
}
