/*
 * The plugin builds against two plugin APIs: the patched QEMU 10.0 (version
 * 6: 10.0's callbacks, which receive the plugin id, plus the syscall filter
 * with 11.1's signature and 10.1's register access) and stock QEMU >= 11.1
 * (version 7: every callback takes a userdata pointer instead of the id).
 * Only the callbacks the plugin uses differ; these macros spell them for
 * either.
 */
#ifndef LORELEI_QEMU_COMPAT_H
#define LORELEI_QEMU_COMPAT_H

#include <qemu-plugin.h>

#if QEMU_PLUGIN_VERSION >= 7
#define LORELEI_ATEXIT_CB(name)           void name(void *userdata)
#define LORELEI_CB_UNUSED_ID              ((void)userdata)
#define lorelei_register_atexit(id, cb)   qemu_plugin_register_atexit_cb(id, cb, NULL)
#define LORELEI_TB_TRANS_CB(name)         void name(struct qemu_plugin_tb *tb, void *userdata)
#define LORELEI_TB_TRANS_UNUSED           ((void)userdata)
#define lorelei_register_tb_trans(id, cb) qemu_plugin_register_vcpu_tb_trans_cb(id, cb, NULL)
#elif QEMU_PLUGIN_VERSION >= 5
#define LORELEI_ATEXIT_CB(name)           void name(qemu_plugin_id_t id, void *userdata)
#define LORELEI_CB_UNUSED_ID              ((void)id)
#define lorelei_register_atexit(id, cb)   qemu_plugin_register_atexit_cb(id, cb, NULL)
#define LORELEI_TB_TRANS_CB(name)         void name(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
#define LORELEI_TB_TRANS_UNUSED           ((void)id)
#define lorelei_register_tb_trans(id, cb) qemu_plugin_register_vcpu_tb_trans_cb(id, cb)
#else
#error "qemu-lorelei needs QEMU's syscall-filter plugin API: QEMU >= 11.1, or packaging/qemu"
#endif

#endif /* LORELEI_QEMU_COMPAT_H */
