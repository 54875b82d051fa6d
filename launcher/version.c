#include "version.h"

#include "lorelei-config.h"
#include "lorelei-version.h"
#include "lorelei/abi.h"
#include "paths.h"
#include "spawn.h"

#include <string.h>

#define QEMU_VERSION_TIMEOUT_MS 5000

const char *lo_git_commit(void)
{
    return LO_GIT_COMMIT[0] != '\0' ? LO_GIT_COMMIT : "unknown";
}

/* The first line of `qemu-x86_64 --version`, or why there is none. */
static char *qemu_version(const char *qemu)
{
    const char *argv[] = {qemu, "--version", NULL};
    LoSpawnResult r = {0};
    g_autoptr(GError) error = NULL;
    if (!lo_spawn(argv, NULL, QEMU_VERSION_TIMEOUT_MS, 4096, &r, &error)) {
        return g_strdup_printf("cannot run it (%s)", error->message);
    }
    char *line = NULL;
    if (r.exit_status == 0 && r.signal == 0 && !r.timed_out && r.out[0] != '\0') {
        line = g_strndup(r.out, strcspn(r.out, "\n"));
    } else {
        g_autofree char *how = lo_spawn_describe(&r, QEMU_VERSION_TIMEOUT_MS);
        line = g_strdup_printf("--version failed: %s", how);
    }
    lo_spawn_result_clear(&r);
    return line;
}

char *lo_version_text(void)
{
    GString *out = g_string_new(NULL);
    g_string_append_printf(out, "qemu-lorelei %s (git %s)\n", LO_VERSION, lo_git_commit());
    g_string_append_printf(out, "plugin ABI: %d\n", LORELEI_ABI_VERSION);
    g_autoptr(GError) error = NULL;
    g_autofree char *qemu = lo_artifact_find(LO_ARTIFACT_QEMU, &error);
    if (qemu != NULL) {
        g_autofree char *v = qemu_version(qemu);
        g_string_append_printf(out, "QEMU: %s (%s)\n", v, qemu);
    } else {
        g_string_append(out, "QEMU: not found (`qemu-lorelei doctor` says where it looked)\n");
    }
    return g_string_free(out, FALSE);
}
