#include "sync.h"

#include "download.h"
#include "errors.h"
#include "fsutil.h"
#include "index.h"
#include "json-util.h"
#include "lorelei-config.h"
#include "match-index.h"
#include "profile-rules.h"
#include "profile-validate.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void lo_sync_report_clear(LoSyncReport *r)
{
    g_clear_pointer(&r->url, g_free);
    g_clear_pointer(&r->downloaded, g_ptr_array_unref);
    g_clear_pointer(&r->unchanged, g_ptr_array_unref);
    g_clear_pointer(&r->removed, g_ptr_array_unref);
}

static gboolean is_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0;
}

char *lo_sync_index_url(const char *url, GError **error)
{
    g_autofree char *shown = lo_printable(url, 200);
    if (!lo_is_line(url, NULL) || strchr(url, ' ') != NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE, "'%s' is not a URL", shown);
        lo_error_fix(error, "give the repository's https:// or file:// URL");
        return NULL;
    }
    g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_NONE, NULL);
    const char *scheme = uri != NULL ? g_uri_get_scheme(uri) : NULL;
    if (scheme == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE, "'%s' is not a URL", shown);
        lo_error_fix(error, "give the repository's https:// or file:// URL");
        return NULL;
    }
    gboolean allowed = g_ascii_strcasecmp(scheme, "https") == 0 ||
                       g_ascii_strcasecmp(scheme, "file") == 0 ||
                       (g_ascii_strcasecmp(scheme, "http") == 0 && g_uri_get_host(uri) != NULL &&
                        is_loopback(g_uri_get_host(uri)));
    if (!allowed) {
        g_set_error(error, LO_ERROR, LO_EXIT_USAGE,
                    "refusing %s: profiles are fetched over https:// only (http:// only from "
                    "this machine, or file://)",
                    shown);
        lo_error_fix(error, "use the repository's https:// URL");
        return NULL;
    }
    if (g_str_has_suffix(url, "/index.json")) {
        return g_strdup(url);
    }
    return g_strconcat(url, g_str_has_suffix(url, "/") ? "" : "/", "index.json", NULL);
}

/* When the whole sync must be over (g_get_monotonic_time() microseconds). */
static gint64 deadline;

static void set_timed_out(GError **error, const LoSyncOptions *o)
{
    g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                "timed out: the sync took longer than --timeout %d seconds", o->timeout_seconds);
    lo_error_fix(error, "try again later, or give it longer with --timeout SECONDS");
}

/* Milliseconds left before the deadline; 0 when it has passed. */
static long left_ms(void)
{
    gint64 left = (deadline - g_get_monotonic_time()) / 1000;
    return left > 0 ? (long)left : 0;
}

/* Reads a file:// URL without libcurl, whose open() of a FIFO named
 * index.json would block forever: only a regular file of this machine is
 * read, never more than limit bytes. */
static GByteArray *fetch_file(const char *url, gsize limit, const char *what, GError **error)
{
    g_autofree char *shown = lo_printable(url, 200);
    g_autofree char *host = NULL;
    g_autoptr(GError) local = NULL;
    g_autofree char *path = g_filename_from_uri(url, &host, &local);
    if (path == NULL || (host != NULL && g_ascii_strcasecmp(host, "localhost") != 0)) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s (%s): not a file:// URL of this machine",
                    what, shown);
        return NULL;
    }
    char *text = NULL;
    gsize len = 0;
    if (!lo_read_file_limited(path, limit, &text, &len, &local)) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s (%s): %s", what, shown, local->message);
        return NULL;
    }
    return g_byte_array_new_take((guint8 *)text, len);
}

/* Downloads url into memory, refusing more than limit bytes. */
static GByteArray *fetch(const char *url, gsize limit, const char *what, const LoSyncOptions *o,
                         GError **error)
{
    if (left_ms() == 0) {
        set_timed_out(error, o);
        return NULL;
    }
    if (g_ascii_strncasecmp(url, "file:", 5) == 0) {
        return fetch_file(url, limit, what, error);
    }
    long left = left_ms();
    const LoDownload d = {
        .url = url,
        .what = what,
        .protocols = "https,http,file",
        .redirect_protocols = "https",
        .connect_seconds = o->connect_seconds,
        .stall_seconds = MAX(1, MIN(o->stall_seconds, o->timeout_seconds)),
        .total_ms = left,
        .interrupted_note = "the previous profiles were kept",
    };
    gint64 started = g_get_monotonic_time();
    g_autoptr(GError) local = NULL;
    GByteArray *body = lo_download_memory(&d, limit, &local);
    if (body != NULL) {
        return body;
    }
    /* curl gives up a little before our clock says the time is over. */
    if (local->code == LO_EXIT_DOWNLOAD &&
        (g_get_monotonic_time() - started) / 1000 + 100 >= left) {
        g_autofree char *shown = lo_printable(url, 200);
        set_timed_out(error, o);
        g_prefix_error(error, "%s (%s): ", what, shown);
        return NULL;
    }
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
}

static gboolean write_file(const char *dir, const char *name, const void *data, gsize len,
                           GError **error)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    return g_file_set_contents(path, data, len, error);
}

/* The local copy's bytes of entry when their sha256 is still the index's. */
static char *reuse_local(const char *dest, const LoIndexEntry *e, gsize *len)
{
    g_autofree char *path = g_build_filename(dest, e->path, NULL);
    char *text = NULL;
    if (!lo_read_file_limited(path, LO_PROFILE_MAX_BYTES, &text, len, NULL)) {
        return NULL;
    }
    g_autofree char *sha = lo_sha256_data(text, *len);
    if (*len != e->size || strcmp(sha, e->sha256) != 0) {
        g_free(text);
        return NULL;
    }
    return text;
}

/* What the match index needs of a profile: its id and match lists. */
static cJSON *match_part(const cJSON *doc)
{
    cJSON *part = cJSON_CreateObject();
    cJSON_AddStringToObject(part, "id", lo_json_string(doc, "id"));
    const cJSON *match = cJSON_GetObjectItemCaseSensitive(doc, "match");
    if (match != NULL) {
        cJSON_AddItemToObject(part, "match", cJSON_Duplicate(match, TRUE));
    }
    return part;
}

/* Checks a downloaded profile against its index entry and the schema;
 * returns its match part (for the match index). */
static cJSON *verify_profile(const LoIndexEntry *e, const char *url, const guint8 *data, gsize len,
                             GError **error)
{
    g_autofree char *sha = lo_sha256_data(data, len);
    if (len != e->size) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "profile %s (%s) has %" G_GSIZE_FORMAT
                    " bytes, but the index says %" G_GSIZE_FORMAT ": truncated or altered",
                    e->id, url, len, e->size);
        return NULL;
    }
    if (strcmp(sha, e->sha256) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "profile %s (%s) does not match the sha256 in the index (got %s, expected "
                    "%s): it was altered",
                    e->id, url, sha, e->sha256);
        return NULL;
    }
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(cJSON) doc = lo_profile_parse((const char *)data, len, problems);
    if (doc == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "profile %s (%s) is not a valid profile",
                    e->id, url);
        lo_error_add_problems(error, problems);
        return NULL;
    }
    const char *id = lo_json_string(doc, "id");
    if (strcmp(id, e->id) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s holds profile '%s' but the index lists it as '%s'", url, id, e->id);
        return NULL;
    }
    return match_part(doc);
}

/* Fills tmp with the verified repository. */
static gboolean fill(const char *tmp, const char *dest, const char *index_url,
                     const LoSyncOptions *o, LoSyncReport *report, GError **error)
{
    g_autoptr(GByteArray) index_data = fetch(index_url, LO_INDEX_MAX_BYTES, "index.json", o, error);
    if (index_data == NULL) {
        return FALSE;
    }
    g_autoptr(GPtrArray) entries =
        lo_index_parse((const char *)index_data->data, index_data->len, error);
    if (entries == NULL) {
        if (error != NULL && *error != NULL) {
            (*error)->code = LO_EXIT_DOWNLOAD;
        }
        g_prefix_error(error, "%s: ", index_url);
        return FALSE;
    }
    g_autofree char *base = g_strndup(index_url, strlen(index_url) - strlen("index.json"));
    g_autoptr(GPtrArray) matches = g_ptr_array_new_with_free_func((GDestroyNotify)cJSON_Delete);
    for (guint i = 0; i < entries->len; i++) {
        const LoIndexEntry *e = entries->pdata[i];
        gsize len = 0;
        g_autofree char *local = reuse_local(dest, e, &len);
        /* Its sha256 is the index's: these are the bytes that were checked
         * against the schema when they were downloaded. Parsed again (not
         * validated again) for the match index. */
        g_autoptr(cJSON) local_doc = local != NULL ? lo_json_parse_strict(local, len, NULL) : NULL;
        if (local_doc != NULL && cJSON_IsObject(local_doc) &&
            lo_json_string(local_doc, "id") != NULL &&
            strcmp(lo_json_string(local_doc, "id"), e->id) == 0) {
            if (!write_file(tmp, e->path, local, len, error)) {
                return FALSE;
            }
            g_ptr_array_add(matches, match_part(local_doc));
            g_ptr_array_add(report->unchanged, g_strdup(e->id));
            continue;
        }
        g_autofree char *url = g_strconcat(base, e->path, NULL);
        g_autofree char *what = g_strdup_printf("profile %s", e->id);
        /* One byte more than announced, so a longer body is caught as such. */
        g_autoptr(GByteArray) data = fetch(url, e->size + 1, what, o, error);
        cJSON *match = data != NULL ? verify_profile(e, url, data->data, data->len, error) : NULL;
        if (match == NULL) {
            return FALSE;
        }
        g_ptr_array_add(matches, match);
        if (!write_file(tmp, e->path, data->data, data->len, error)) {
            return FALSE;
        }
        g_ptr_array_add(report->downloaded, g_strdup(e->id));
    }
    /* What the previous copy had and the repository no longer lists. */
    g_autoptr(GDir) d = g_dir_open(dest, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
        g_autofree char *kept = g_build_filename(tmp, name, NULL);
        if (name[0] != '.' && g_str_has_suffix(name, ".json") && strcmp(name, "index.json") &&
            !g_file_test(kept, G_FILE_TEST_EXISTS)) {
            g_ptr_array_add(report->removed, g_strndup(name, strlen(name) - 5));
        }
    }
    if (!write_file(tmp, "index.json", index_data->data, index_data->len, error)) {
        return FALSE;
    }
    /* Launches read only the profiles this says can match their game. */
    g_autoptr(GBytes) match_index = lo_match_index_build(matches);
    gsize index_len = 0;
    const void *index_bytes = g_bytes_get_data(match_index, &index_len);
    if (!write_file(tmp, LO_MATCH_INDEX_FILE, index_bytes, index_len, error)) {
        return FALSE;
    }
    g_autoptr(cJSON) meta = cJSON_CreateObject();
    cJSON_AddStringToObject(meta, "url", index_url);
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *when = g_date_time_format_iso8601(now);
    cJSON_AddStringToObject(meta, "synced", when);
    g_autofree char *meta_text = lo_json_to_string(meta);
    return write_file(tmp, ".sync.json", meta_text, strlen(meta_text), error);
}

gboolean lo_sync(const char *url, const char *dest, const LoSyncOptions *o, LoSyncReport *report,
                 GError **error)
{
    report->downloaded = g_ptr_array_new_with_free_func(g_free);
    report->unchanged = g_ptr_array_new_with_free_func(g_free);
    report->removed = g_ptr_array_new_with_free_func(g_free);
    report->url = lo_sync_index_url(url, error);
    if (report->url == NULL) {
        return FALSE;
    }
    deadline = g_get_monotonic_time() + (gint64)o->timeout_seconds * G_USEC_PER_SEC;
    g_autofree char *parent = g_path_get_dirname(dest);
    if (g_mkdir_with_parents(parent, 0755) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "cannot create %s: %s", parent,
                    g_strerror(errno));
        return FALSE;
    }
    /* One sync at a time: two would each swap in their copy. */
    g_autofree char *lock_path = g_strconcat(dest, ".lock", NULL);
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "another profile sync is running (%s)",
                    lock_path);
        lo_error_fix(error, "wait for it to finish, then run this again");
        if (lock >= 0) {
            close(lock);
        }
        return FALSE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    lo_clean_stale_temps(parent);
    g_autofree char *tmp = lo_mkdtemp_beside(dest, error);
    gboolean ok = tmp != NULL;
    lo_interrupt_begin();
    if (ok) {
        ok = fill(tmp, dest, report->url, o, report, error);
    }
    if (ok && lo_interrupted()) {
        lo_set_interrupted_error(error, "the previous profiles were kept");
        ok = FALSE;
    }
    if (ok && left_ms() == 0) {
        set_timed_out(error, o);
        ok = FALSE;
    }
    if (ok) {
        chmod(tmp, 0755);
        ok = lo_sync_tree(tmp, error) && lo_replace_dir(tmp, dest, error);
    }
    if (!ok && tmp != NULL) {
        lo_rm_rf(tmp, NULL);
        lo_error_note(error, "nothing was changed: the previous community profiles are intact");
    }
    lo_interrupt_end();
    curl_global_cleanup();
    close(lock);
    return ok;
}
