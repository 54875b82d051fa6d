#include "sysroot-store.h"

#include "elf-check.h"
#include <elf.h>

#include "errors.h"
#include "extract.h"
#include "fsutil.h"
#include "json-util.h"
#include "paths.h"
#include "profile-rules.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

void lo_sysroot_info_free(LoSysrootInfo *info)
{
    if (info == NULL) {
        return;
    }
    g_free(info->name);
    g_free(info->path);
    g_free(info->origin);
    g_free(info->created);
    cJSON_Delete(info->source);
    g_free(info);
}

gboolean lo_sysroot_name_check(const char *name, GError **error)
{
    gunichar bad;
    if (!lo_is_line(name, &bad) || !lo_pattern_match(LO_PAT_SYSROOT, name)) {
        g_autofree char *shown = lo_printable(name, 80);
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE, "'%s' is not a valid sysroot name", shown);
        lo_error_fix(error, "use letters, digits, '.', '_' and '-' (at most 64, not starting "
                            "with '.' or '-'), e.g. debian12");
        return FALSE;
    }
    return TRUE;
}

char *lo_sysroot_path(const char *name)
{
    g_autofree char *dir = lo_sysroots_dir();
    return g_build_filename(dir, name, NULL);
}

char *lo_sysroot_suggested_suite(void)
{
    g_autofree char *text = NULL;
    if (lo_read_file_limited("/etc/os-release", 64 * 1024, &text, NULL, NULL) &&
        strstr(text, "\nID=debian") != NULL) {
        const char *key = strstr(text, "\nVERSION_CODENAME=");
        if (key != NULL) {
            const char *v = key + strlen("\nVERSION_CODENAME=");
            gsize n = strspn(v, "abcdefghijklmnopqrstuvwxyz");
            if (n > 0) {
                return g_strndup(v, n);
            }
        }
    }
    return g_strdup("stable");
}

void lo_sysroot_add_create_fix(GError **error, const char *name)
{
    g_autofree char *suite = lo_sysroot_suggested_suite();
    lo_error_fix(error, "create it: qemu-lorelei sysroot create %s --from-debian %s", name, suite);
    lo_error_note(error,
                  "     (downloads the libraries games use from Debian; or --from-multiarch, "
                  "--from-archive ROOTFS.tar.xz, --from-debs DIR, --from-dir DIR%s)",
                  lo_effective_host_is_x86_64() ? ", --from-host" : "");
}

static LoSysrootInfo *read_info(const char *name, const char *path)
{
    LoSysrootInfo *info = g_new0(LoSysrootInfo, 1);
    info->name = g_strdup(name);
    info->path = g_strdup(path);
    g_autofree char *meta = g_build_filename(path, LO_SYSROOT_META, NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    g_autoptr(cJSON) doc = NULL;
    if (lo_read_file_limited(meta, 64 * 1024, &text, &len, NULL)) {
        doc = lo_json_parse_strict(text, len, NULL);
    }
    const char *origin = lo_json_string(doc, "origin");
    const char *created = lo_json_string(doc, "created");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(doc, "size");
    info->origin = origin != NULL ? lo_printable(origin, 200) : g_strdup("unknown");
    info->created = created != NULL ? lo_printable(created, 40) : g_strdup("unknown");
    info->size_known = cJSON_IsNumber(size) && size->valuedouble >= 0;
    info->size = info->size_known ? (guint64)size->valuedouble : 0;
    cJSON *source = cJSON_GetObjectItemCaseSensitive(doc, "source");
    if (cJSON_IsObject(source)) {
        info->source = cJSON_DetachItemViaPointer(doc, source);
    }
    return info;
}

static int compare_names(gconstpointer a, gconstpointer b)
{
    const LoSysrootInfo *x = *(LoSysrootInfo *const *)a, *y = *(LoSysrootInfo *const *)b;
    return strcmp(x->name, y->name);
}

GPtrArray *lo_sysroot_list(void)
{
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)lo_sysroot_info_free);
    g_autofree char *dir = lo_sysroots_dir();
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        /* Dot entries are imports in progress (or left by a crash). */
        if (name[0] == '.' || !lo_sysroot_name_check(name, NULL)) {
            continue;
        }
        g_autofree char *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            g_ptr_array_add(out, read_info(name, path));
        }
    }
    g_ptr_array_sort(out, compare_names);
    return out;
}

LoSysrootInfo *lo_sysroot_get(const char *name, GError **error)
{
    if (!lo_sysroot_name_check(name, error)) {
        return NULL;
    }
    g_autofree char *path = lo_sysroot_path(name);
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        return read_info(name, path);
    }
    g_autofree char *dir = lo_sysroots_dir();
    g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND, "sysroot '%s' does not exist (looked in %s)",
                name, dir);
    g_autoptr(GPtrArray) all = lo_sysroot_list();
    g_autoptr(GPtrArray) names = g_ptr_array_new();
    for (guint i = 0; i < all->len; i++) {
        g_ptr_array_add(names, ((LoSysrootInfo *)all->pdata[i])->name);
    }
    g_ptr_array_add(names, NULL);
    const char *guess = lo_closest_match(name, (const char *const *)names->pdata);
    if (guess != NULL) {
        lo_error_note(error, "did you mean '%s'?", guess);
    }
    lo_sysroot_add_create_fix(error, name);
    return NULL;
}

gboolean lo_sysroot_write_meta(const char *dir, const char *origin, guint64 size,
                               const cJSON *source, GError **error)
{
    g_autoptr(cJSON) doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "origin", origin);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *created = g_date_time_format_iso8601(now);
    cJSON_AddStringToObject(doc, "created", created);
    cJSON_AddNumberToObject(doc, "size", (double)size);
    if (source != NULL) {
        cJSON_AddItemToObject(doc, "source", cJSON_Duplicate(source, TRUE));
    }
    g_autofree char *text = lo_json_to_string(doc);
    g_autofree char *path = g_build_filename(dir, LO_SYSROOT_META, NULL);
    if (!g_file_set_contents(path, text, -1, error)) {
        g_prefix_error(error, "cannot write the sysroot's metadata: ");
        return FALSE;
    }
    return TRUE;
}

LoSysrootArch lo_sysroot_arch(const char *path, char **evidence)
{
    /* The x86_64 loader and libc first, then other machines' (Debian
     * multiarch, merged /usr, and the lib64/lib layouts of other distributions). */
    static const char *const candidates[] = {
        "lib64/ld-linux-x86-64.so.2",
        "lib/x86_64-linux-gnu/libc.so.6",
        "usr/lib/x86_64-linux-gnu/libc.so.6",
        "usr/lib64/libc.so.6",
        "lib64/libc.so.6",
        "lib/ld-linux-aarch64.so.1",
        "usr/lib/aarch64-linux-gnu/libc.so.6",
        "lib/ld-linux-riscv64-lp64d.so.1",
        "usr/lib/riscv64-linux-gnu/libc.so.6",
        "lib/ld-linux-armhf.so.3",
        "usr/lib/arm-linux-gnueabihf/libc.so.6",
        "lib/ld-linux.so.2",
        "usr/lib/i386-linux-gnu/libc.so.6",
        "lib/libc.so.6",
        "usr/lib/libc.so.6",
    };
    *evidence = NULL;
    LoSysrootArch verdict = LO_SYSROOT_ARCH_UNKNOWN;
    for (gsize i = 0; i < G_N_ELEMENTS(candidates); i++) {
        g_autofree char *file = g_build_filename(path, candidates[i], NULL);
        unsigned machine = 0;
        if (!lo_elf_machine(file, &machine)) {
            continue;
        }
        if (machine == EM_X86_64) {
            g_free(*evidence);
            *evidence = g_strdup_printf("%s is x86_64", candidates[i]);
            return LO_SYSROOT_ARCH_X86_64;
        }
        if (verdict == LO_SYSROOT_ARCH_UNKNOWN) {
            const char *name = lo_elf_machine_name(machine);
            *evidence = g_strdup_printf("%s is %s", candidates[i],
                                        name != NULL ? name : "for another architecture");
            verdict = LO_SYSROOT_ARCH_OTHER;
        }
    }
    return verdict;
}

gboolean lo_sysroot_check_arch(const char *name, const char *path, GError **error)
{
    g_autofree char *evidence = NULL;
    if (lo_sysroot_arch(path, &evidence) != LO_SYSROOT_ARCH_OTHER) {
        return TRUE;
    }
    g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                "sysroot '%s' is not an x86_64 root file system (%s): QEMU would hand its "
                "libraries to the x86_64 game, which cannot load them",
                name, evidence);
    lo_error_fix(error,
                 "make one from x86_64 (amd64) files: qemu-lorelei sysroot create NAME "
                 "--from-archive ROOTFS.tar.xz, then qemu-lorelei sysroot remove %s",
                 name);
    return FALSE;
}

gboolean lo_sysroot_build(const char *target, gboolean replace, LoSysrootFillFn fn, gpointer data,
                          GString *origin, const cJSON *source, GError **error)
{
    g_autofree char *parent = g_path_get_dirname(target);
    if (g_mkdir_with_parents(parent, 0755) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", parent,
                    g_strerror(errno));
        return FALSE;
    }
    lo_clean_stale_temps(parent);
    g_autofree char *tmp = lo_mkdtemp_beside(target, error);
    if (tmp == NULL) {
        return FALSE;
    }
    lo_interrupt_begin();
    gboolean ok = fn(tmp, data, origin, error);
    if (ok && lo_interrupted()) {
        lo_set_interrupted_error(error, "nothing was imported");
        ok = FALSE;
    }
    if (ok) {
        ok = lo_sysroot_write_meta(tmp, origin->str, lo_tree_size(tmp), source, error) &&
             lo_sync_tree(tmp, error);
    }
    if (ok) {
        chmod(tmp, 0755);
        ok = replace ? lo_replace_dir(tmp, target, error) : lo_rename_new(tmp, target, error);
    }
    if (!ok) {
        g_autoptr(GError) cleanup = NULL;
        if (!lo_rm_rf(tmp, &cleanup)) {
            lo_error_note(error, "the temporary folder %s could not be removed: %s", tmp,
                          cleanup->message);
        } else if (error != NULL && *error != NULL && (*error)->code == LO_EXIT_INTERRUPTED) {
            lo_error_note(error, "the partial sysroot was removed");
        }
    }
    lo_interrupt_end();
    return ok;
}

gboolean lo_sysroot_finish_packages(const char *dir, GError **error)
{
    if (!lo_extract_finish_usr_merge(dir, error)) {
        return FALSE;
    }
    g_autofree char *etc = g_build_filename(dir, "etc", NULL);
    g_autofree char *cache = g_build_filename(etc, "ld.so.cache", NULL);
    struct stat st;
    if (lstat(cache, &st) == 0) {
        return TRUE;
    }
    if (g_mkdir_with_parents(etc, 0755) != 0 || !g_file_set_contents(cache, "", 0, error)) {
        if (error != NULL && *error == NULL) {
            g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", etc,
                        g_strerror(errno));
        }
        return FALSE;
    }
    return TRUE;
}
