#include "fps-log.h"

#include "errors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Samples beyond this are not needed for a median, and bound the work a
 * huge log can cause. */
#define MAX_SAMPLES 100000
/* No game draws faster: a larger number is something else ("1e9 fps"). */
#define MAX_RATE 100000.0

static const char *const patterns[] = {
    "(?<![\\w.])([0-9]{1,6}(?:\\.[0-9]{1,6})?)\\s*(?:fps|frames per second|frames/s(?:ec)?)\\b",
    "\\b(?:fps|frame ?rate)\\s*[:=]\\s*([0-9]{1,6}(?:\\.[0-9]{1,6})?)(?![\\w.])",
};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

gboolean lo_log_frame_rate(const char *text, LoFrameRate *out, GError **error)
{
    const char *output = strstr(text, LO_RUN_LOG_OUTPUT_MARK);
    if (output == NULL) {
        g_set_error(error, LO_ERROR, LO_EXIT_INVALID,
                    "it has no game output (no '%s' line): the game never started, or it is "
                    "not a `qemu-lorelei run --log` log",
                    LO_RUN_LOG_OUTPUT_MARK);
        return FALSE;
    }
    output += strlen(LO_RUN_LOG_OUTPUT_MARK);
    g_autoptr(GArray) rates = g_array_new(FALSE, FALSE, sizeof(double));
    for (gsize p = 0; p < G_N_ELEMENTS(patterns); p++) {
        g_autoptr(GRegex) re =
            g_regex_new(patterns[p], G_REGEX_CASELESS | G_REGEX_OPTIMIZE | G_REGEX_RAW, 0, NULL);
        g_assert(re != NULL);
        g_autoptr(GMatchInfo) m = NULL;
        g_regex_match(re, output, 0, &m);
        while (g_match_info_matches(m) && rates->len < MAX_SAMPLES) {
            g_autofree char *number = g_match_info_fetch(m, 1);
            double rate = g_ascii_strtod(number, NULL);
            if (isfinite(rate) && rate > 0 && rate <= MAX_RATE) {
                g_array_append_val(rates, rate);
            }
            g_match_info_next(m, NULL);
        }
    }
    if (rates->len == 0) {
        g_set_error(error, LO_ERROR, LO_EXIT_NOT_FOUND,
                    "the game printed no frame rate (no 'N fps', 'N frames per second' or "
                    "'fps: N')");
        return FALSE;
    }
    qsort(rates->data, rates->len, sizeof(double), compare_doubles);
    const double *r = (const double *)rates->data;
    guint n = rates->len;
    out->samples = n;
    out->min = r[0];
    out->max = r[n - 1];
    out->median = n % 2 ? r[n / 2] : (r[n / 2 - 1] + r[n / 2]) / 2;
    return TRUE;
}
