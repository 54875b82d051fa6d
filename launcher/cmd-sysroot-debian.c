/*
 * sysroot create NAME --from-debian SUITE: the packages games need, and
 * everything they depend on, from a Debian mirror.
 *
 * mirror (--mirror, else this machine's apt sources) -> InRelease checked
 * by gpgv -> Packages checked against the signed Release -> the closure
 * (deb-closure.c) -> every .deb downloaded into the cache (resumed when a
 * partial copy is there) and checked against the size and SHA256 that
 * Packages lists -> each .deb's data extracted by extract.c into a
 * temporary folder that becomes the sysroot when all went well.
 */
#include "cmd-sysroot-debian.h"

#include "apt-sources.h"
#include "commands.h"
#include "deb-archive.h"
#include "deb-cache.h"
#include "errors.h"
#include "extract.h"
#include "fsutil.h"
#include "json-util.h"
#include "progress.h"
#include "sysroot-store.h"
#include "util.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

const char *const lo_game_packages[] = {
    "libc6",       "libstdc++6",    "libgcc-s1",    "libx11-6",
    "libxext6",    "libxcursor1",   "libxi6",       "libxrandr2",
    "libxss1",     "libxkbcommon0", "libasound2",   "libpulse0",
    "libudev1",    "libdbus-1-3",   "libopenal1",   "libvorbisfile3",
    "libpng16-16", "zlib1g",        "libfreetype6", "libsdl1.2-compat",
    NULL,
};

/* ---- shared with --from-multiarch ---------------------------------------- */

GPtrArray *lo_requested_packages(const LoPackageSource *o)
{
    GPtrArray *out = g_ptr_array_new();
    for (const char *const *p = lo_game_packages; *p != NULL; p++) {
        g_ptr_array_add(out, (gpointer)*p);
    }
    for (char **p = o->packages; p != NULL && *p != NULL; p++) {
        if (!g_ptr_array_find_with_equal_func(out, *p, g_str_equal, NULL)) {
            g_ptr_array_add(out, *p);
        }
    }
    g_ptr_array_add(out, NULL);
    return out;
}

gboolean lo_requested_explicitly(const LoPackageSource *o, const char *name)
{
    return o->packages != NULL && g_strv_contains((const char *const *)o->packages, name);
}

void lo_closure_print_notes(const LoDebClosure *c)
{
    for (guint i = 0; i < c->warnings->len; i++) {
        g_autofree char *shown = lo_printable(c->warnings->pdata[i], 400);
        g_printerr("qemu-lorelei: warning: %s\n", shown);
    }
    for (guint i = 0; i < c->left_out->len; i++) {
        const LoDebPick *k = c->left_out->pdata[i];
        g_printerr("qemu-lorelei: left out %s:%s (%s)\n", k->package->name, k->package->arch,
                   k->why);
    }
}

static cJSON *pick_json(const LoDebPick *k, gboolean detail)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "name", k->package->name);
    cJSON_AddStringToObject(o, "version", k->package->version);
    cJSON_AddStringToObject(o, "architecture", k->package->arch);
    if (detail && k->package->filename != NULL) {
        cJSON_AddNumberToObject(o, "size", (double)k->package->size);
        cJSON_AddStringToObject(o, "sha256", k->package->sha256);
        cJSON_AddStringToObject(o, "filename", k->package->filename);
    }
    if (detail) {
        cJSON_AddStringToObject(o, "why", k->why);
    }
    return o;
}

void lo_closure_add_to_json(const LoDebClosure *c, cJSON *source)
{
    cJSON *packages = cJSON_AddArrayToObject(source, "packages");
    for (guint i = 0; i < c->picked->len; i++) {
        cJSON_AddItemToArray(packages, pick_json(c->picked->pdata[i], FALSE));
    }
    cJSON *left = cJSON_AddArrayToObject(source, "left_out");
    for (guint i = 0; i < c->left_out->len; i++) {
        const LoDebPick *k = c->left_out->pdata[i];
        cJSON_AddItemToArray(left, cJSON_CreateString(k->package->name));
    }
}

static guint64 cached_bytes(const LoDebClosure *c, const char *cache_dir)
{
    guint64 have = 0;
    for (guint i = 0; cache_dir != NULL && i < c->picked->len; i++) {
        const LoDebPackage *p = ((LoDebPick *)c->picked->pdata[i])->package;
        LoCacheItem item = {NULL, p->name, "Packages", p->size, p->sha256};
        have += p->sha256 != NULL ? lo_cache_have(cache_dir, &item) : 0;
    }
    return have;
}

void lo_closure_print_listing(const LoDebClosure *c, const LoPackageSource *o, const cJSON *source,
                              const char *cache_dir)
{
    guint64 total = lo_deb_closure_bytes(c);
    guint64 have = cached_bytes(c, cache_dir);
    if (o->json) {
        g_autoptr(cJSON) doc = cJSON_CreateObject();
        cJSON_AddItemToObject(doc, "source", cJSON_Duplicate(source, TRUE));
        cJSON *packages = cJSON_AddArrayToObject(doc, "packages");
        for (guint i = 0; i < c->picked->len; i++) {
            cJSON_AddItemToArray(packages, pick_json(c->picked->pdata[i], TRUE));
        }
        cJSON *left = cJSON_AddArrayToObject(doc, "left_out");
        for (guint i = 0; i < c->left_out->len; i++) {
            cJSON_AddItemToArray(left, pick_json(c->left_out->pdata[i], TRUE));
        }
        cJSON *missing = cJSON_AddArrayToObject(doc, "missing");
        for (guint i = 0; i < c->missing->len; i++) {
            cJSON_AddItemToArray(missing, cJSON_CreateString(c->missing->pdata[i]));
        }
        cJSON *warnings = cJSON_AddArrayToObject(doc, "warnings");
        for (guint i = 0; i < c->warnings->len; i++) {
            cJSON_AddItemToArray(warnings, cJSON_CreateString(c->warnings->pdata[i]));
        }
        if (cache_dir != NULL) {
            cJSON_AddNumberToObject(doc, "download_bytes", (double)(total - have));
            cJSON_AddNumberToObject(doc, "cached_bytes", (double)have);
        }
        lo_print_json(doc);
        return;
    }
    if (cache_dir != NULL) {
        g_autofree char *size = lo_human_size(total);
        g_autofree char *in_cache = lo_human_size(have);
        printf("%u packages, %s (%s of it already in the cache):\n", c->picked->len, size,
               in_cache);
    } else {
        printf("%u packages:\n", c->picked->len);
    }
    for (guint i = 0; i < c->picked->len; i++) {
        const LoDebPick *k = c->picked->pdata[i];
        g_autofree char *size =
            k->package->filename != NULL ? lo_human_size(k->package->size) : g_strdup("");
        printf("  %-24s %-28s %-6s %10s  %s\n", k->package->name, k->package->version,
               k->package->arch, size, k->why);
    }
    for (guint i = 0; i < c->left_out->len; i++) {
        const LoDebPick *k = c->left_out->pdata[i];
        printf("left out: %s %s (%s)\n", k->package->name, k->package->version, k->why);
    }
    for (guint i = 0; i < c->warnings->len; i++) {
        printf("warning: %s\n", (const char *)c->warnings->pdata[i]);
    }
    printf("--dry-run: nothing was downloaded or created\n");
}

/* ---- --from-debian ------------------------------------------------------- */

typedef struct {
    const LoPackageSource *o;
    char *mirror;
    char *mirror_from; /* the apt sources file, or NULL for --mirror */
    char *keyring;
    char *cache_dir; /* .debs */
    LoDownload net;
    LoDebIndex *index;
    LoDebClosure *closure;
} Plan;

static void plan_clear(Plan *pl)
{
    g_free(pl->mirror);
    g_free(pl->mirror_from);
    g_free(pl->keyring);
    g_free(pl->cache_dir);
    lo_deb_index_free(pl->index);
    lo_deb_closure_free(pl->closure);
}

static gboolean find_mirror(Plan *pl, GError **error)
{
    const char *url = pl->o->mirror;
    g_autofree char *found = NULL;
    if (url == NULL) {
        found = lo_apt_find_mirror("/etc/apt", pl->o->debian, &pl->mirror_from);
        url = found;
    }
    if (url == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "no Debian mirror given, and none in this machine's apt sources "
                    "(/etc/apt/sources.list, /etc/apt/sources.list.d/)");
        lo_error_fix(error, "give one: --mirror https://MIRROR/debian (the folder holding dists/ "
                            "and pool/)");
        return FALSE;
    }
    pl->mirror = lo_mirror_normalize(url, error);
    if (pl->mirror == NULL && pl->mirror_from != NULL) {
        g_prefix_error(error, "%s: ", pl->mirror_from);
    }
    return pl->mirror != NULL;
}

static void requested_missing(const LoPackageSource *o, const LoDebClosure *c, GError **error)
{
    g_autoptr(GString) list = g_string_new(NULL);
    for (guint i = 0; i < c->missing->len; i++) {
        if (lo_requested_explicitly(o, c->missing->pdata[i])) {
            g_string_append_printf(list, "%s%s", list->len ? ", " : "",
                                   (const char *)c->missing->pdata[i]);
        }
    }
    if (list->len > 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                    "no amd64 package of suite %s is or provides %s", o->debian, list->str);
        lo_error_fix(error,
                     "check the name(s) on https://packages.debian.org/%s/ (packages "
                     "of the main component only)",
                     o->debian);
    }
}

/* Fetches and checks the index, and resolves the closure. */
static gboolean plan(Plan *pl, GError **error)
{
    if (!find_mirror(pl, error)) {
        return FALSE;
    }
    pl->keyring =
        g_canonicalize_filename(pl->o->keyring != NULL ? pl->o->keyring : LO_DEBIAN_KEYRING, NULL);
    pl->cache_dir = lo_cache_subdir("debs");
    pl->net = (LoDownload){
        .protocols = "http,https,file",
        .redirect_protocols = "http,https",
        .connect_seconds = 15,
        .stall_seconds = pl->o->stall_seconds,
        .total_seconds = 0,
        .interrupted_note = "nothing was created",
    };
    if (pl->mirror_from != NULL) {
        g_printerr("qemu-lorelei: mirror %s (from %s)\n", pl->mirror, pl->mirror_from);
    }
    g_autofree char *index_cache = lo_cache_subdir("indexes");
    LoDebArchive a = {pl->mirror, pl->o->debian, pl->keyring, index_cache, pl->net};
    pl->index = lo_deb_archive_open(&a, error);
    if (pl->index == NULL) {
        return FALSE;
    }
    const LoRelease *r = pl->index->release;
    g_printerr("qemu-lorelei: %s: %s %s of %s, signed by %s; %u packages for amd64\n",
               pl->o->debian, r->origin != NULL ? r->origin : "?",
               r->version != NULL ? r->version : "?", r->date != NULL ? r->date : "?",
               pl->index->signer, lo_deb_universe_size(pl->index->universe));
    if (pl->index->skipped > 0) {
        g_printerr("qemu-lorelei: warning: %u malformed entries of %s were skipped (first: %s)\n",
                   pl->index->skipped, pl->index->packages_path, pl->index->first_skipped);
    }
    g_autoptr(GPtrArray) requested = lo_requested_packages(pl->o);
    pl->closure =
        lo_deb_closure_resolve(pl->index->universe, (const char *const *)requested->pdata);
    requested_missing(pl->o, pl->closure, error);
    if (error != NULL && *error != NULL) {
        return FALSE;
    }
    for (guint i = 0; i < pl->closure->missing->len; i++) {
        g_printerr("qemu-lorelei: warning: %s is not in %s: left out\n",
                   (const char *)pl->closure->missing->pdata[i], pl->o->debian);
    }
    if (lo_deb_universe_lookup(pl->index->universe, "libc6") == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                    "suite %s has no amd64 libc6: it cannot make a sysroot", pl->o->debian);
        lo_error_fix(error, "use a Debian suite with amd64 packages (bookworm, trixie, stable)");
        return FALSE;
    }
    return TRUE;
}

static cJSON *source_json(const Plan *pl)
{
    const LoRelease *r = pl->index->release;
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "kind", "debian");
    cJSON_AddStringToObject(s, "suite", pl->o->debian);
    cJSON_AddStringToObject(s, "codename", r->codename != NULL ? r->codename : "");
    cJSON_AddStringToObject(s, "version", r->version != NULL ? r->version : "");
    cJSON_AddStringToObject(s, "release_date", r->date != NULL ? r->date : "");
    cJSON_AddStringToObject(s, "mirror", pl->mirror);
    cJSON_AddStringToObject(s, "index", pl->index->packages_path);
    cJSON_AddStringToObject(s, "signed_by", pl->index->signer);
    cJSON_AddStringToObject(s, "fingerprint", pl->index->fingerprint);
    cJSON_AddStringToObject(s, "keyring", pl->keyring);
    lo_closure_add_to_json(pl->closure, s);
    return s;
}

typedef struct {
    LoProgress *bar;
    guint64 base;
    const char *label;
} BarState;

static void on_bytes(guint64 bytes, gpointer data)
{
    BarState *b = data;
    lo_progress_update(b->bar, b->base + bytes, b->label);
}

static const char *how_text(LoCacheHow how)
{
    return how == LO_CACHE_HIT       ? "in the cache"
           : how == LO_CACHE_RESUMED ? "resumed"
                                     : "downloaded";
}

/* Brings every picked .deb into the cache; their paths go to paths. */
static gboolean download_all(Plan *pl, GPtrArray *paths, GError **error)
{
    GPtrArray *picked = pl->closure->picked;
    guint64 total = lo_deb_closure_bytes(pl->closure);
    guint64 have = cached_bytes(pl->closure, pl->cache_dir);
    g_autoptr(LoProgress) bar = lo_progress_new("downloading", total - have);
    guint64 done = 0;
    for (guint i = 0; i < picked->len; i++) {
        const LoDebPackage *p = ((LoDebPick *)picked->pdata[i])->package;
        g_autofree char *url = lo_deb_archive_url(pl->mirror, p->filename);
        g_autofree char *what = g_strdup_printf("package %s %s", p->name, p->version);
        LoCacheItem item = {url, what, "Packages", p->size, p->sha256};
        guint64 before = lo_cache_have(pl->cache_dir, &item);
        g_autofree char *label = g_strdup_printf("%u/%u %s", i + 1, picked->len, p->name);
        BarState state = {bar, done, label};
        LoDownload net = pl->net;
        net.progress = on_bytes;
        net.progress_data = &state;
        LoCacheHow how;
        char *path = lo_cache_get(pl->cache_dir, &item, &net, &how, error);
        if (path == NULL) {
            return FALSE;
        }
        g_ptr_array_add(paths, path);
        done += p->size - MIN(before, p->size);
        lo_progress_update(bar, done, label);
        if (!lo_progress_enabled(bar)) {
            g_autofree char *size = lo_human_size(p->size);
            g_printerr("[%*u/%u] %s %s (%s): %s\n", picked->len >= 100 ? 3 : 2, i + 1, picked->len,
                       p->name, p->version, size, how_text(how));
        }
    }
    return TRUE;
}

static gboolean fill_debian(const char *tmp, gpointer data, GString *origin, GError **error)
{
    (void)origin;
    Plan *pl = data;
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    if (!download_all(pl, paths, error)) {
        lo_error_note(error,
                      "no sysroot was created; what was downloaded stays in %s, and "
                      "running the command again resumes from there",
                      pl->cache_dir);
        return FALSE;
    }
    guint64 total = lo_deb_closure_bytes(pl->closure);
    g_autoptr(LoProgress) bar = lo_progress_new("extracting", total);
    if (!lo_progress_enabled(bar)) {
        g_printerr("qemu-lorelei: extracting %u packages\n", paths->len);
    }
    LoExtractor x = {
        .target = tmp,
        .max_bytes = pl->o->max_bytes,
        .max_entries = LO_EXTRACT_DEFAULT_MAX_ENTRIES,
        .progress = bar,
        .merge_usr = TRUE,
    };
    for (guint i = 0; i < paths->len; i++) {
        const LoDebPackage *p = ((LoDebPick *)pl->closure->picked->pdata[i])->package;
        g_autofree char *url = lo_deb_archive_url(pl->mirror, p->filename);
        if (!lo_extract_file_named(&x, paths->pdata[i], url, error)) {
            return FALSE;
        }
        x.progress_base += p->size;
    }
    return lo_sysroot_finish_packages(tmp, error);
}

gboolean lo_sysroot_from_debian(const char *name, const char *target, const LoPackageSource *o,
                                GError **error)
{
    Plan pl = {.o = o};
    curl_global_init(CURL_GLOBAL_DEFAULT);
    lo_interrupt_begin();
    gboolean ok = plan(&pl, error);
    if (ok && lo_interrupted()) {
        lo_set_interrupted_error(error, "nothing was created");
        ok = FALSE;
    }
    if (ok) {
        lo_closure_print_notes(pl.closure);
    }
    g_autoptr(cJSON) source = ok ? source_json(&pl) : NULL;
    if (ok && o->dry_run) {
        lo_closure_print_listing(pl.closure, o, source, pl.cache_dir);
    } else if (ok) {
        g_autoptr(GString) origin = g_string_new(NULL);
        const LoRelease *r = pl.index->release;
        g_string_printf(origin, "debian %s%s%s%s from %s, %u packages", o->debian,
                        r->version != NULL ? " (" : "", r->version != NULL ? r->version : "",
                        r->version != NULL ? ")" : "", pl.mirror, pl.closure->picked->len);
        {
            g_autofree char *size = lo_human_size(lo_deb_closure_bytes(pl.closure));
            g_autofree char *have = lo_human_size(cached_bytes(pl.closure, pl.cache_dir));
            g_printerr("qemu-lorelei: %u packages, %s (%s of it already in the cache %s)\n",
                       pl.closure->picked->len, size, have, pl.cache_dir);
        }
        ok = lo_sysroot_build(target, FALSE, fill_debian, &pl, origin, source, error);
        if (ok) {
            g_autoptr(LoSysrootInfo) info = lo_sysroot_get(name, NULL);
            g_autofree char *size = lo_human_size(info != NULL ? info->size : 0);
            printf("created sysroot '%s' (%s) at %s: %u packages from Debian %s\n", name, size,
                   target, pl.closure->picked->len, o->debian);
        }
    }
    lo_interrupt_end();
    curl_global_cleanup();
    plan_clear(&pl);
    return ok;
}
