/*
 * A TCG plugin that checks the values memory callbacks see
 * (qemu_plugin_mem_get_value) after patch 0008 of packaging/qemu/patches,
 * which drops the stores of those values where no callback can read them.
 *
 * Argument watch=w|r|none: a memory callback on every instruction, for
 * stores only (w) or loads only (r); none registers the translation callback
 * and nothing else (what costs emulated code nothing after the patch).
 *
 * At exit it prints to stderr "mem-value: N in order, M wrong": N accesses
 * in the watched direction whose 64-bit value carried mem_value_guest's
 * MAGIC and counted up from 0 as the guest stores and loads them, M such
 * values out of order.
 */
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAGIC      0x10ae1e1000000000ull
#define MAGIC_MASK 0xfffffff000000000ull

static enum qemu_plugin_mem_rw watched;
static bool watch_nothing;
/* One vCPU: the guest has no threads, so plain counters do. */
static uint64_t next, in_order, wrong;

static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
    (void)vcpu, (void)vaddr, (void)udata;
    qemu_plugin_mem_value v = qemu_plugin_mem_get_value(info);
    if (v.type != QEMU_PLUGIN_MEM_VALUE_U64 || (v.data.u64 & MAGIC_MASK) != MAGIC) {
        return;
    }
    if ((v.data.u64 & ~MAGIC_MASK) == next) {
        in_order++;
        next++;
    } else {
        wrong++;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    if (watch_nothing) {
        return;
    }
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i), on_access,
                                         QEMU_PLUGIN_CB_NO_REGS, watched, NULL);
    }
}

static void report_at_exit(qemu_plugin_id_t id, void *udata)
{
    (void)id, (void)udata;
    fprintf(stderr, "mem-value: %" PRIu64 " in order, %" PRIu64 " wrong\n", in_order, wrong);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info;
    if (argc != 1 || strncmp(argv[0], "watch=", 6) != 0) {
        fprintf(stderr, "mem-value plugin: give watch=w, watch=r or watch=none\n");
        return -1;
    }
    const char *w = argv[0] + 6;
    if (strcmp(w, "w") == 0) {
        watched = QEMU_PLUGIN_MEM_W;
    } else if (strcmp(w, "r") == 0) {
        watched = QEMU_PLUGIN_MEM_R;
    } else if (strcmp(w, "none") == 0) {
        watch_nothing = true;
    } else {
        fprintf(stderr, "mem-value plugin: watch=%s: give w, r or none\n", w);
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, report_at_exit, NULL);
    return 0;
}
