/*
 * The floor of the transport: a TCG plugin whose filter answers syscall
 * 0x4c53 at once and does nothing else. bench/percall compares the real
 * thunked call path against it.
 */
#include <glib.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static bool answer(unsigned int vcpu, int64_t num, uint64_t a1, uint64_t a2, uint64_t a3,
                   uint64_t a4, uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8, int64_t *sysret,
                   void *userdata)
{
    (void)vcpu, (void)a1, (void)a2, (void)a3, (void)a4, (void)a5, (void)a6, (void)a7;
    (void)a8, (void)userdata;
    if (num != 0x4c53) {
        return false;
    }
    *sysret = 0;
    return true;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info, (void)argc, (void)argv;
    qemu_plugin_register_vcpu_syscall_filter_cb(id, answer, NULL);
    return 0;
}
