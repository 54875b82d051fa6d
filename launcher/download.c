#include "download.h"

#include "errors.h"
#include "fsutil.h"
#include "lorelei-config.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <unistd.h>

typedef struct {
    const LoDownload *d;
    CURL *curl;
    GByteArray *memory; /* either into memory */
    int fd;             /* or appended to a file */
    guint64 offset;     /* bytes the file had before */
    guint64 limit;      /* total bytes allowed (offset included) */
    guint64 received;
    gboolean too_big;
    gboolean range_ignored; /* asked to resume, got the whole file (200) */
    int write_errno;
} Sink;

static gboolean whole_file_instead_of_range(Sink *s)
{
    long status = 0;
    curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
    return s->offset > 0 && status == 200;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    Sink *s = userdata;
    size_t n = size * nmemb;
    if (s->received == 0 && whole_file_instead_of_range(s)) {
        s->range_ignored = TRUE; /* never append a whole file to a part of it */
        return 0;
    }
    if (s->offset + s->received + n > s->limit) {
        s->too_big = TRUE;
        return 0; /* makes curl fail with CURLE_WRITE_ERROR */
    }
    if (s->memory != NULL) {
        g_byte_array_append(s->memory, (const guint8 *)ptr, n);
    } else {
        for (size_t done = 0; done < n;) {
            ssize_t w = write(s->fd, ptr + done, n - done);
            if (w < 0 && errno == EINTR && !lo_interrupted()) {
                continue;
            }
            if (w <= 0) {
                s->write_errno = w < 0 ? errno : EIO;
                return 0;
            }
            done += w;
        }
    }
    s->received += n;
    if (s->d->progress != NULL) {
        s->d->progress(s->received, s->d->progress_data);
    }
    return n;
}

static int on_progress(void *p, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)p, (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return lo_interrupted() ? 1 : 0;
}

/* Runs the transfer; on failure sets error (and *restart for a refused
 * resume). */
static gboolean perform(Sink *s, gboolean *restart, GError **error)
{
    const LoDownload *d = s->d;
    CURL *c = curl_easy_init();
    s->curl = c;
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, d->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, d->protocols);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, d->redirect_protocols);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "qemu-lorelei/" LO_VERSION);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)(s->limit - s->offset));
    if (d->total_ms > 0) {
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                         MIN(d->total_ms, d->connect_seconds * 1000L));
        curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, d->total_ms);
    } else {
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)d->connect_seconds);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)d->total_seconds);
    }
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)d->stall_seconds);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (s->offset > 0) {
        curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)s->offset);
    }
    CURLcode r = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    gboolean range_ignored = s->range_ignored || whole_file_instead_of_range(s);
    curl_easy_cleanup(c);
    s->curl = NULL;
    if (r == CURLE_OK) {
        return TRUE;
    }
    g_autofree char *shown = lo_printable(d->url, 200);
    g_autofree char *detail = lo_printable(errbuf[0] ? errbuf : curl_easy_strerror(r), 200);
    const char *what = d->what;
    if (s->offset > 0 && restart != NULL &&
        (range_ignored || r == CURLE_RANGE_ERROR ||
         (r == CURLE_HTTP_RETURNED_ERROR && status == 416))) {
        *restart = TRUE;
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s (%s): the server cannot resume", what,
                    shown);
    } else if (r == CURLE_ABORTED_BY_CALLBACK && lo_interrupted()) {
        lo_set_interrupted_error(error, d->interrupted_note);
    } else if (s->write_errno != 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_FAILURE, "%s (%s): cannot write it to disk: %s", what,
                    shown, g_strerror(s->write_errno));
    } else if (s->too_big || r == CURLE_FILESIZE_EXCEEDED) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s (%s) is larger than %" G_GUINT64_FORMAT " bytes, the limit", what, shown,
                    s->limit);
    } else if (r == CURLE_PARTIAL_FILE) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s (%s): the download was cut off before the end (%s)", what, shown, detail);
    } else if (r == CURLE_OPERATION_TIMEDOUT) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s (%s): timed out (%s)", what, shown,
                    detail);
    } else if (r == CURLE_HTTP_RETURNED_ERROR) {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s (%s): the server answered HTTP %ld",
                    what, shown, status);
    } else if (r == CURLE_UNSUPPORTED_PROTOCOL) {
        g_auto(GStrv) schemes = g_strsplit(d->redirect_protocols, ",", -1);
        g_autofree char *allowed = g_strjoinv(":// or ", schemes);
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD,
                    "%s (%s): refused a redirect to a URL that is not %s:// (%s)", what, shown,
                    allowed, detail);
    } else {
        g_set_error(error, LO_ERROR, LO_EXIT_DOWNLOAD, "%s (%s): %s", what, shown, detail);
    }
    return FALSE;
}

GByteArray *lo_download_memory(const LoDownload *d, gsize limit, GError **error)
{
    Sink s = {.d = d, .memory = g_byte_array_new(), .fd = -1, .limit = limit};
    if (!perform(&s, NULL, error)) {
        g_byte_array_unref(s.memory);
        return NULL;
    }
    return s.memory;
}

gboolean lo_download_append(const LoDownload *d, int fd, guint64 offset, guint64 limit,
                            gboolean *restart, GError **error)
{
    *restart = FALSE;
    Sink s = {.d = d, .fd = fd, .offset = offset, .limit = limit};
    return perform(&s, restart, error);
}
