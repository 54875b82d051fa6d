/*
 * libFuzzer target: archive import (tar in every compression, .deb, with
 * and without the /usr merge). Each
 * input is extracted into a fresh folder inside a private parent; afterwards
 * the parent must hold nothing but that folder, and every symbolic link
 * inside it must resolve inside it. Anything else is a path-escape bug.
 */
#include "extract.h"
#include "fsutil.h"

#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *parent;

static void check_links(const char *root, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (d == NULL || depth > 64) {
        if (d != NULL) {
            closedir(d);
        }
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            continue;
        }
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) != 0) {
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            char *real = realpath(path, NULL);
            /* Dangling is fine (the target may come with another package);
             * resolving somewhere outside the root is not. */
            if (real != NULL && strncmp(real, root, strlen(root)) != 0) {
                fprintf(stderr, "escape: %s -> %s\n", path, real);
                abort();
            }
            free(real);
        } else if (S_ISDIR(st.st_mode)) {
            check_links(root, path, depth + 1);
        }
    }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (parent == NULL) {
        parent = g_dir_make_tmp("lorelei-fuzz-XXXXXX", NULL);
        if (parent == NULL) {
            abort();
        }
    }
    char *target = g_build_filename(parent, "target", NULL);
    if (mkdir(target, 0755) != 0) {
        abort();
    }
    /* Half the inputs go into a merged /usr, as packages for sysroots do. */
    LoExtractor x = {
        .target = target, .max_bytes = 4 << 20, .max_entries = 2000, .merge_usr = size % 2};
    GError *error = NULL;
    if (!lo_extract_memory(&x, data, size, "fuzz", &error)) {
        g_clear_error(&error);
    }
    if (x.merge_usr && !lo_extract_finish_usr_merge(target, &error)) {
        g_clear_error(&error);
    }
    DIR *d = opendir(parent);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "target")) {
            fprintf(stderr, "wrote outside the target: %s/%s\n", parent, e->d_name);
            abort();
        }
    }
    closedir(d);
    char *real_target = realpath(target, NULL);
    check_links(real_target, real_target, 0);
    free(real_target);
    if (!lo_rm_rf(target, NULL)) {
        abort();
    }
    g_free(target);
    return 0;
}
