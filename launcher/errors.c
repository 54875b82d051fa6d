#include "errors.h"

G_DEFINE_QUARK(lo - error - quark, lo_error)

static void append_line(GError **error, const char *prefix, const char *fmt, va_list ap)
{
    if (error == NULL || *error == NULL) {
        return;
    }
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    char *message = g_strdup_printf("%s\n  %s%s", (*error)->message, prefix, text);
    g_free((*error)->message);
    (*error)->message = message;
}

void lo_error_fix(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_line(error, "fix: ", fmt, ap);
    va_end(ap);
}

void lo_error_note(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append_line(error, "", fmt, ap);
    va_end(ap);
}

void lo_usage_error(GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(error, LO_ERROR, LO_EXIT_USAGE, text);
    lo_error_fix(error, "see `%s --help`", g_get_prgname());
}

int lo_exit_status_for(const GError *error)
{
    if (error->domain == LO_ERROR && error->code > 0 && error->code < 256) {
        return error->code;
    }
    if (error->domain == G_OPTION_ERROR) {
        return LO_EXIT_USAGE;
    }
    return LO_EXIT_FAILURE;
}
