/*
 * A QEMU plugin that does nothing but accept any key=value arguments, for
 * testing `qemu-lorelei run` before the real plugin exists. When the host
 * environment has LORELEI_TEST_PLUGIN_LOG, it writes one line per argument
 * there ("arg KEY=VALUE"), so a test sees exactly what the launcher passed.
 * An argument without '=' is refused, as QEMU's own plugins do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)id;
    (void)info;
    const char *log_path = getenv("LORELEI_TEST_PLUGIN_LOG");
    FILE *log = log_path != NULL ? fopen(log_path, "w") : NULL;
    for (int i = 0; i < argc; i++) {
        if (strchr(argv[i], '=') == NULL) {
            fprintf(stderr, "noop plugin: argument '%s' is not key=value\n", argv[i]);
            if (log != NULL) {
                fclose(log);
            }
            return -1;
        }
        if (log != NULL) {
            fprintf(log, "arg %s\n", argv[i]);
        }
    }
    if (log != NULL) {
        fclose(log);
    }
    return 0;
}
