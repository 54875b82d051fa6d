/*
 * qemu-lorelei paths: the folders and files qemu-lorelei keeps for this
 * user, with their sizes — what to look at, back up or delete (the
 * uninstall story of docs/launcher.md).
 */
#include "binfmt.h"
#include "commands.h"
#include "fsutil.h"
#include "game-library.h"
#include "json-util.h"
#include "run-log.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *kind; /* config, data, cache, state */
    char *path;
    const char *holds;
} Place;

/* The desktop entries `add` wrote. */
static GPtrArray *desktop_entries(void)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *dir = g_build_filename(g_get_user_data_dir(), "applications", NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        if (g_str_has_prefix(name, LO_DESKTOP_PREFIX) && g_str_has_suffix(name, ".desktop")) {
            g_ptr_array_add(out, g_build_filename(dir, name, NULL));
        }
    }
    g_ptr_array_sort(out, lo_compare_strings);
    return out;
}

gboolean lo_cmd_paths(int argc, char **argv, GError **error)
{
    gboolean json = FALSE;
    const GOptionEntry entries[] = {
        {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL},
        G_OPTION_ENTRY_NULL,
    };
    g_autoptr(GOptionContext) ctx = lo_option_context(
        "",
        "List the folders qemu-lorelei keeps for you (XDG config, data, cache and state) with\n"
        "their sizes and what they hold, the desktop entries of your game library and the\n"
        "binfmt handler. To remove everything: delete these folders and entries (see\n"
        "qemu-lorelei(1), FILES).",
        "Examples:\n  qemu-lorelei paths\n  qemu-lorelei paths --json", entries);
    if (!lo_option_parse(ctx, &argc, &argv, error) || !lo_no_more_args(argc, argv, 1, error)) {
        return FALSE;
    }
    Place places[] = {
        {"config", g_build_filename(g_get_user_config_dir(), "qemu-lorelei", NULL),
         "your profiles (profiles/), your game library (games.json)"},
        {"data", g_build_filename(g_get_user_data_dir(), "qemu-lorelei", NULL),
         "sysroots (sysroots/), synced community profiles (community/)"},
        {"cache", g_build_filename(g_get_user_cache_dir(), "qemu-lorelei", NULL),
         "the patched QEMU's build cache, when built from source (scripts/build.sh)"},
        {"state", g_build_filename(g_get_user_state_dir(), "qemu-lorelei", NULL),
         "run logs (logs/), bug reports (reports/)"},
    };
    g_autoptr(GPtrArray) desktop = desktop_entries();
    g_auto(LoBinfmtEntry) handler = {0};
    gboolean registered = lo_binfmt_read_entry(LO_BINFMT_NAME, &handler, NULL);
    g_autoptr(cJSON) doc = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(doc, "folders");
    guint64 total = 0;
    for (gsize i = 0; i < G_N_ELEMENTS(places); i++) {
        gboolean exists = g_file_test(places[i].path, G_FILE_TEST_IS_DIR);
        guint64 size = exists ? lo_tree_size(places[i].path) : 0;
        total += size;
        if (json) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "kind", places[i].kind);
            cJSON_AddStringToObject(o, "path", places[i].path);
            cJSON_AddBoolToObject(o, "exists", exists);
            cJSON_AddNumberToObject(o, "bytes", (double)size);
            cJSON_AddStringToObject(o, "holds", places[i].holds);
            cJSON_AddItemToArray(list, o);
        } else {
            g_autofree char *human = exists ? lo_human_size(size) : g_strdup("(none)");
            printf("%-7s %-10s %s\n        %s\n", places[i].kind, human, places[i].path,
                   places[i].holds);
        }
    }
    if (json) {
        cJSON *d = cJSON_AddArrayToObject(doc, "desktop_entries");
        for (guint i = 0; i < desktop->len; i++) {
            cJSON_AddItemToArray(d, cJSON_CreateString(desktop->pdata[i]));
        }
        cJSON_AddNumberToObject(doc, "total_bytes", (double)total);
        cJSON_AddBoolToObject(doc, "binfmt_registered", registered);
        lo_print_json(doc);
    } else {
        g_autofree char *human = lo_human_size(total);
        printf("total   %s\n", human);
        printf("desktop entries of your games: %u", desktop->len);
        for (guint i = 0; i < desktop->len; i++) {
            printf("%s%s", i ? ", " : " (", (char *)desktop->pdata[i]);
        }
        printf("%s\n", desktop->len ? ")" : "");
        printf("binfmt handler: %s\n", registered
                                           ? "registered (remove: sudo qemu-lorelei binfmt disable)"
                                           : "not registered");
    }
    for (gsize i = 0; i < G_N_ELEMENTS(places); i++) {
        g_free(places[i].path);
    }
    return TRUE;
}
