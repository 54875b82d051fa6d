#include "progress.h"

#include "util.h"

#include <stdio.h>
#include <unistd.h>

struct LoProgress {
    char *label;
    guint64 total;
    gint64 last_draw;
    gboolean enabled;
    gboolean drawn;
};

LoProgress *lo_progress_new(const char *label, guint64 total)
{
    LoProgress *p = g_new0(LoProgress, 1);
    p->label = g_strdup(label);
    p->total = total;
    p->enabled = isatty(STDERR_FILENO);
    return p;
}

void lo_progress_set_enabled(LoProgress *p, gboolean enabled)
{
    p->enabled = enabled;
}

gboolean lo_progress_enabled(const LoProgress *p)
{
    return p->enabled;
}

void lo_progress_update(LoProgress *p, guint64 done, const char *item)
{
    gint64 now = g_get_monotonic_time();
    if (!p->enabled || now - p->last_draw < G_USEC_PER_SEC / 10) {
        return;
    }
    p->last_draw = now;
    g_autofree char *size = lo_human_size(done);
    g_autofree char *shown = lo_printable(item != NULL ? item : "", 30);
    if (p->total > 0) {
        int width = 24;
        guint64 capped = MIN(done, p->total);
        int filled = (int)(capped * width / p->total);
        char bar[32];
        for (int i = 0; i < width; i++) {
            bar[i] = i < filled ? '#' : '-';
        }
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K%s [%s] %3d%% %s %s", p->label, bar,
                (int)(capped * 100 / p->total), size, shown);
    } else {
        fprintf(stderr, "\r\033[K%s %s %s", p->label, size, shown);
    }
    fflush(stderr);
    p->drawn = TRUE;
}

void lo_progress_free(LoProgress *p)
{
    if (p == NULL) {
        return;
    }
    if (p->drawn) {
        fprintf(stderr, "\r\033[K");
        fflush(stderr);
    }
    g_free(p->label);
    g_free(p);
}
