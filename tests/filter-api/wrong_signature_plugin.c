/*
 * Must NOT compile (with -Werror): the filter callback below has QEMU 11.0's
 * shape (plugin id first, no userdata), not the 11.1 signature the patched
 * header declares. tests/filter-api/meson.build checks the compiler rejects it
 * with an incompatible-pointer diagnostic naming the registration.
 */
#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static bool old_style_filter(qemu_plugin_id_t id, unsigned int vcpu, int64_t num, uint64_t a1,
                             uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, uint64_t a6,
                             uint64_t a7, uint64_t a8, uint64_t *sysret)
{
    (void)id, (void)vcpu, (void)num, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
    (void)a6, (void)a7, (void)a8, (void)sysret;
    return false;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info, (void)argc, (void)argv;
    qemu_plugin_register_vcpu_syscall_filter_cb(id, old_style_filter, NULL);
    return 0;
}
