#include "dpkg-db.h"

#include "deb-relation.h"
#include "deb822.h"
#include "errors.h"
#include "json-util.h"
#include "paths.h"
#include "profile-rules.h"
#include "sandbox.h"
#include "util.h"

#include <string.h>

#define STATUS_MAX_BYTES (256 << 20)
#define LIST_MAX_BYTES   (64 << 20)
#define SMALL_MAX_BYTES  (16 << 20)

typedef struct {
    char *to;
    char *by; /* the diverting package; ":" for a local diversion */
} Diversion;

static void diversion_free(gpointer p)
{
    Diversion *d = p;
    g_free(d->to);
    g_free(d->by);
    g_free(d);
}

void lo_dpkg_db_free(LoDpkgDb *db)
{
    if (db == NULL) {
        return;
    }
    g_free(db->admindir);
    g_free(db->native_arch);
    lo_deb_universe_free(db->universe);
    if (db->diverted != NULL) {
        g_hash_table_unref(db->diverted);
    }
    g_free(db);
}

const char *lo_debian_arch_for(const char *machine)
{
    static const char *const map[][2] = {
        {"x86_64", "amd64"},        {"aarch64", "arm64"},   {"riscv64", "riscv64"},
        {"i686", "i386"},           {"i586", "i386"},       {"i386", "i386"},
        {"armv7l", "armhf"},        {"ppc64le", "ppc64el"}, {"s390x", "s390x"},
        {"loongarch64", "loong64"}, {"mips64", "mips64el"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++) {
        if (strcmp(machine, map[i][0]) == 0) {
            return map[i][1];
        }
    }
    return machine;
}

static gboolean arch_name_valid(const char *a)
{
    return a[0] != '\0' && strlen(a) <= 32 &&
           strspn(a, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(a);
}

/* "install ok installed", "hold ok installed": unpacked and configured. */
static gboolean installed(const char *status)
{
    g_auto(GStrv) w = g_strsplit(status != NULL ? status : "", " ", -1);
    return g_strv_length(w) == 3 && strcmp(w[1], "ok") == 0 && strcmp(w[2], "installed") == 0;
}

static gboolean on_status(const LoDeb822Stanza *s, gpointer data, GError **error)
{
    (void)error;
    LoDebUniverse *u = data;
    const char *name = lo_deb822_get(s, "Package");
    const char *version = lo_deb822_get(s, "Version");
    const char *arch = lo_deb822_get(s, "Architecture");
    if (!installed(lo_deb822_get(s, "Status")) || name == NULL || !lo_deb_name_valid(name) ||
        version == NULL || !lo_deb_version_valid(version) || arch == NULL ||
        !arch_name_valid(arch)) {
        return TRUE; /* not installed, or not something a sysroot can use */
    }
    LoDebPackage *p = g_new0(LoDebPackage, 1);
    p->name = g_strdup(name);
    p->version = g_strdup(version);
    p->arch = g_strdup(arch);
    p->multi_arch = g_strdup(lo_deb822_get(s, "Multi-Arch"));
    p->depends = g_strdup(lo_deb822_get(s, "Depends"));
    p->pre_depends = g_strdup(lo_deb822_get(s, "Pre-Depends"));
    p->provides = g_strdup(lo_deb822_get(s, "Provides"));
    const char *essential = lo_deb822_get(s, "Essential");
    p->essential = essential != NULL && strcmp(essential, "yes") == 0;
    const char *why;
    lo_deb_universe_add(u, p, &why); /* an unreadable Provides: left out */
    return TRUE;
}

static GHashTable *read_diversions(const char *admindir)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, diversion_free);
    g_autofree char *path = g_build_filename(admindir, "diversions", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!lo_read_file_limited(path, SMALL_MAX_BYTES, &text, &len, NULL)) {
        return t;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i] != NULL && lines[i + 1] != NULL && lines[i + 2] != NULL; i += 3) {
        if (lines[i][0] != '/' || lines[i + 1][0] != '/') {
            break; /* not the format dpkg writes */
        }
        Diversion *d = g_new0(Diversion, 1);
        d->to = g_strdup(lines[i + 1]);
        d->by = g_strdup(lines[i + 2]);
        g_hash_table_replace(t, g_strdup(lines[i]), d);
    }
    return t;
}

LoDpkgDb *lo_dpkg_db_open(const char *admindir, GError **error)
{
    if (admindir == NULL) {
        admindir = g_getenv("DPKG_ADMINDIR");
    }
    if (admindir == NULL || admindir[0] == '\0') {
        admindir = LO_DPKG_ADMINDIR_DEFAULT;
    }
    g_autofree char *status_path = g_build_filename(admindir, "status", NULL);
    g_autofree char *text = NULL;
    gsize len = 0;
    if (!g_file_test(status_path, G_FILE_TEST_EXISTS)) {
        g_set_error(error, LO_ERROR, LO_EXIT_UNSUPPORTED,
                    "%s does not exist: --from-multiarch needs a Debian-based system with dpkg",
                    status_path);
        lo_error_fix(error, "%s",
                     lo_sandbox_fix("use --from-debian SUITE instead, which downloads the "
                                    "packages",
                                    "the Flatpak sandbox does not see the host's dpkg database: "
                                    "use --from-debs DIR with .deb files in ~/Games"));
        return NULL;
    }
    if (!lo_read_file_limited(status_path, STATUS_MAX_BYTES, &text, &len, error)) {
        return NULL;
    }
    g_autoptr(LoDpkgDb) db = g_new0(LoDpkgDb, 1);
    db->admindir = g_strdup(admindir);
    db->native_arch = g_strdup(lo_debian_arch_for(lo_effective_host_arch()));
    db->universe = lo_deb_universe_new("amd64");
    const LoDeb822Limits limits = {STATUS_MAX_BYTES, 1000000, 256, 1 << 20, FALSE};
    if (!lo_deb822_parse(text, len, &limits, status_path, on_status, db->universe, error)) {
        lo_error_fix(error, "dpkg's database is damaged: check it with `dpkg --audit`");
        return NULL;
    }
    db->has_amd64 = strcmp(db->native_arch, "amd64") == 0;
    g_autofree char *arch_path = g_build_filename(admindir, "arch", NULL);
    g_autofree char *archs = NULL;
    if (!db->has_amd64 && lo_read_file_limited(arch_path, SMALL_MAX_BYTES, &archs, NULL, NULL)) {
        g_auto(GStrv) lines = g_strsplit_set(archs, "\n \t", -1);
        db->has_amd64 = g_strv_contains((const char *const *)lines, "amd64");
    }
    db->diverted = read_diversions(admindir);
    return g_steal_pointer(&db);
}

/* A path as dpkg lists it: absolute, no "." or ".." component, no
 * control characters. */
static gboolean list_path_valid(const char *p)
{
    if (p[0] != '/' || !lo_is_line(p, NULL)) {
        return FALSE;
    }
    g_auto(GStrv) parts = g_strsplit(p + 1, "/", -1);
    for (char **x = parts; *x != NULL; x++) {
        if (strcmp(*x, "..") == 0 || ((*x)[0] == '\0' && x[1] != NULL)) {
            return FALSE;
        }
    }
    return TRUE;
}

GPtrArray *lo_dpkg_db_files(const LoDpkgDb *db, const LoDebPackage *p, GError **error)
{
    g_autofree char *qualified = g_strdup_printf("%s:%s.list", p->name, p->arch);
    g_autofree char *plain = g_strdup_printf("%s.list", p->name);
    g_autofree char *path = g_build_filename(db->admindir, "info", qualified, NULL);
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        g_free(path);
        path = g_build_filename(db->admindir, "info", plain, NULL);
    }
    g_autofree char *text = NULL;
    if (!lo_read_file_limited(path, LIST_MAX_BYTES, &text, NULL, error)) {
        g_prefix_error(error, "the file list of %s:%s: ", p->name, p->arch);
        lo_error_fix(error, "reinstall it: sudo apt-get install --reinstall %s:%s", p->name,
                     p->arch);
        return NULL;
    }
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l != NULL; l++) {
        if (strcmp(*l, "/.") == 0 || (*l)[0] == '\0') {
            continue;
        }
        if (!list_path_valid(*l)) {
            g_autofree char *shown = lo_printable(*l, 200);
            g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                        "%s lists '%s', which is not a plain "
                        "absolute path",
                        path, shown);
            lo_error_fix(error, "dpkg's database is damaged: check it with `dpkg --audit`");
            g_ptr_array_unref(out);
            return NULL;
        }
        g_ptr_array_add(out, g_strdup(*l));
    }
    return out;
}

const char *lo_dpkg_db_real_path(const LoDpkgDb *db, const char *path, const char *package)
{
    const Diversion *d = g_hash_table_lookup(db->diverted, path);
    if (d != NULL && strcmp(d->by, package) != 0) {
        return d->to;
    }
    return path;
}
