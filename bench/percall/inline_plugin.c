/*
 * An experiment for the core's closing note, not part of the product: what a
 * host call would cost without leaving QEMU's CPU loop. The guest executes a
 * marker instruction (nopw 0x4c52(%rax,%rax,1)) with a frame pointer in rdi;
 * an instruction callback reads rdi and answers in the frame: frame[1] =
 * frame[0] + 1. bench/percall's "inline" measurement times it against the
 * syscall floor.
 */
#include <glib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const uint8_t marker[] = {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x52, 0x4c, 0x00, 0x00};
static struct qemu_plugin_register *rdi;
static __thread GByteArray *buf;

static void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    (void)id, (void)vcpu;
    if (rdi) {
        return;
    }
    GArray *regs = qemu_plugin_get_registers();
    for (guint i = 0; i < regs->len; i++) {
        qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
        if (strcmp(d->name, "rdi") == 0) {
            rdi = d->handle;
        }
    }
    g_array_free(regs, TRUE);
}

static void on_marker(unsigned int vcpu, void *userdata)
{
    (void)vcpu, (void)userdata;
    if (!buf) {
        buf = g_byte_array_sized_new(8);
    }
    g_byte_array_set_size(buf, 0);
    qemu_plugin_read_register(rdi, buf);
    uint64_t *frame;
    memcpy(&frame, buf->data, sizeof(frame));
    frame[1] = frame[0] + 1; /* guest_base == 0: the guest's frame, directly */
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint8_t bytes[sizeof(marker)];
        if (qemu_plugin_insn_size(insn) == sizeof(marker) &&
            qemu_plugin_insn_data(insn, bytes, sizeof(bytes)) == sizeof(bytes) &&
            memcmp(bytes, marker, sizeof(marker)) == 0) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker, QEMU_PLUGIN_CB_R_REGS, NULL);
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info, (void)argc, (void)argv;
    qemu_plugin_register_vcpu_init_cb(id, on_vcpu_init);
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    return 0;
}
