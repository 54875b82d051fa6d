/*
 * sysroot create NAME --from-multiarch: the sysroot made of the amd64
 * packages installed on this machine (after `dpkg --add-architecture
 * amd64` on an arm64 or riscv64 Debian; natively on an x86_64 one).
 *
 * The closure of the requested packages over dpkg's database (installed
 * packages only) picks the packages; their files, as dpkg's .list files
 * name them, are copied with the checks of extract.c. Requested packages
 * that are not installed are named with the apt-get command that installs
 * them: the default set's are left out with a warning, --package ones and
 * libc6 are an error.
 */
#include "cmd-sysroot-debian.h"

#include "deb-closure.h"
#include "dpkg-db.h"
#include "errors.h"
#include "extract.h"
#include "fsutil.h"
#include "json-util.h"
#include "progress.h"
#include "sysroot-store.h"
#include "util.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

typedef struct {
    const LoPackageSource *o;
    LoDpkgDb *db;
    LoDebClosure *closure;
} Plan;

/* "sudo dpkg --add-architecture amd64 && sudo apt-get update && sudo
 * apt-get install a:amd64 b:amd64" as needed. */
static char *install_command(const LoDpkgDb *db, GPtrArray *names)
{
    GString *cmd = g_string_new(NULL);
    if (!db->has_amd64) {
        g_string_append(cmd, "sudo dpkg --add-architecture amd64 && sudo apt-get update && ");
    }
    g_string_append(cmd, "sudo apt-get install");
    for (guint i = 0; i < names->len; i++) {
        g_string_append_printf(cmd, " %s:amd64", (const char *)names->pdata[i]);
    }
    return g_string_free(cmd, FALSE);
}

static gboolean check_missing(Plan *pl, GError **error)
{
    GPtrArray *missing = pl->closure->missing;
    if (missing->len == 0) {
        return TRUE;
    }
    g_autofree char *cmd = install_command(pl->db, missing);
    g_autoptr(GString) list = g_string_new(NULL);
    gboolean fatal = FALSE;
    for (guint i = 0; i < missing->len; i++) {
        const char *name = missing->pdata[i];
        fatal = fatal || lo_requested_explicitly(pl->o, name) || strcmp(name, "libc6") == 0;
        g_string_append_printf(list, "%s%s", i ? ", " : "", name);
    }
    if (fatal || !pl->db->has_amd64) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                    "not installed as amd64 packages on this %s system: %s", pl->db->native_arch,
                    list->str);
        if (!pl->db->has_amd64) {
            lo_error_note(error, "dpkg does not know the amd64 architecture yet (multiarch)");
        }
        lo_error_fix(error, "install them: %s", cmd);
        lo_error_fix(error, "or download them instead: qemu-lorelei sysroot create NAME "
                            "--from-debian SUITE");
        return FALSE;
    }
    g_printerr("qemu-lorelei: warning: not installed as amd64 packages, so left out: %s\n",
               list->str);
    g_printerr("qemu-lorelei: install them with: %s\n", cmd);
    return TRUE;
}

static gboolean plan(Plan *pl, GError **error)
{
    pl->db = lo_dpkg_db_open(NULL, error);
    if (pl->db == NULL) {
        return FALSE;
    }
    g_autoptr(GPtrArray) requested = lo_requested_packages(pl->o);
    pl->closure = lo_deb_closure_resolve(pl->db->universe, (const char *const *)requested->pdata);
    return check_missing(pl, error);
}

static cJSON *source_json(const Plan *pl)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "kind", "multiarch");
    cJSON_AddStringToObject(s, "admindir", pl->db->admindir);
    cJSON_AddStringToObject(s, "host_architecture", pl->db->native_arch);
    lo_closure_add_to_json(pl->closure, s);
    cJSON *missing = cJSON_AddArrayToObject(s, "not_installed");
    for (guint i = 0; i < pl->closure->missing->len; i++) {
        cJSON_AddItemToArray(missing, cJSON_CreateString(pl->closure->missing->pdata[i]));
    }
    return s;
}

/* The files of every picked package, each folder that holds listed files
 * marked as a folder (the host may have a link there: /lib -> usr/lib). */
static GArray *collect_files(Plan *pl, GStringChunk *strings, guint64 *bytes, GError **error)
{
    GArray *files = g_array_new(FALSE, FALSE, sizeof(LoHostFile));
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    g_autoptr(GHashTable) parents = g_hash_table_new(g_str_hash, g_str_equal);
    *bytes = 0;
    for (guint i = 0; i < pl->closure->picked->len; i++) {
        const LoDebPackage *p = ((LoDebPick *)pl->closure->picked->pdata[i])->package;
        g_autoptr(GPtrArray) paths = lo_dpkg_db_files(pl->db, p, error);
        if (paths == NULL) {
            g_array_unref(files);
            return NULL;
        }
        for (guint k = 0; k < paths->len; k++) {
            const char *path = paths->pdata[k];
            if (g_hash_table_contains(seen, path)) {
                continue; /* a folder several packages share */
            }
            char *kept = g_string_chunk_insert(strings, path);
            g_hash_table_add(seen, kept);
            const char *from = lo_dpkg_db_real_path(pl->db, kept, p->name);
            LoHostFile f = {kept, g_string_chunk_insert(strings, from), FALSE};
            g_array_append_val(files, f);
            for (char *slash = strrchr(kept, '/'); slash != NULL && slash != kept;
                 slash = g_strrstr_len(kept, slash - kept, "/")) {
                g_autofree char *parent = g_strndup(kept, slash - kept);
                if (g_hash_table_contains(parents, parent)) {
                    break;
                }
                g_hash_table_add(parents, g_string_chunk_insert(strings, parent));
            }
            struct stat st;
            if (lstat(from, &st) == 0 && S_ISREG(st.st_mode)) {
                *bytes += st.st_size;
            }
        }
    }
    /* /lib, /bin, ... are folders in every package; only the /usr merge
     * of the host made them links. */
    static const char *const merged[] = {"/bin",   "/sbin",   "/lib", "/lib32",
                                         "/lib64", "/libx32", NULL};
    for (guint i = 0; i < files->len; i++) {
        LoHostFile *f = &g_array_index(files, LoHostFile, i);
        f->as_dir = g_hash_table_contains(parents, f->path) || g_strv_contains(merged, f->path);
    }
    return files;
}

static gboolean fill_multiarch(const char *tmp, gpointer data, GString *origin, GError **error)
{
    (void)origin;
    Plan *pl = data;
    GStringChunk *strings = g_string_chunk_new(64 * 1024);
    guint64 bytes = 0;
    GArray *files = collect_files(pl, strings, &bytes, error);
    gboolean ok = files != NULL;
    if (ok) {
        g_autoptr(LoProgress) bar = lo_progress_new("copying", bytes);
        if (!lo_progress_enabled(bar)) {
            g_printerr("qemu-lorelei: copying %u files of %u packages\n", files->len,
                       pl->closure->picked->len);
        }
        LoExtractor x = {
            .target = tmp,
            .max_bytes = pl->o->max_bytes,
            .max_entries = LO_EXTRACT_DEFAULT_MAX_ENTRIES,
            .progress = bar,
            .merge_usr = TRUE,
        };
        guint missing = 0, unreadable = 0;
        g_autofree char *first = NULL;
        g_autofree char *source = g_strdup_printf("the amd64 packages of %s", pl->db->admindir);
        ok = lo_extract_host_files(&x, (const LoHostFile *)files->data, files->len, source,
                                   &missing, &unreadable, &first, error) &&
             lo_sysroot_finish_packages(tmp, error);
        if (ok && missing + unreadable > 0) {
            g_printerr("qemu-lorelei: warning: %u listed files are gone and %u cannot be read; "
                       "left out (first: %s)\n",
                       missing, unreadable, first);
        }
        g_array_unref(files);
    }
    g_string_chunk_free(strings);
    return ok;
}

gboolean lo_sysroot_from_multiarch(const char *name, const char *target, const LoPackageSource *o,
                                   GError **error)
{
    Plan pl = {.o = o};
    gboolean ok = plan(&pl, error);
    if (ok) {
        lo_closure_print_notes(pl.closure);
    }
    g_autoptr(cJSON) source = ok ? source_json(&pl) : NULL;
    if (ok && o->dry_run) {
        lo_closure_print_listing(pl.closure, o, source, NULL);
    } else if (ok) {
        g_autoptr(GString) origin = g_string_new(NULL);
        g_string_printf(origin, "multiarch: %u amd64 packages installed here (%s)",
                        pl.closure->picked->len, pl.db->admindir);
        ok = lo_sysroot_build(target, FALSE, fill_multiarch, &pl, origin, source, error);
        if (ok) {
            g_autoptr(LoSysrootInfo) info = lo_sysroot_get(name, NULL);
            g_autofree char *size = lo_human_size(info != NULL ? info->size : 0);
            printf("created sysroot '%s' (%s) at %s: %u installed amd64 packages\n", name, size,
                   target, pl.closure->picked->len);
        }
    }
    lo_deb_closure_free(pl.closure);
    lo_dpkg_db_free(pl.db);
    return ok;
}
