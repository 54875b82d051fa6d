/*
 * An experiment beside the product, for bench/percall: what the bare
 * mechanism of the inline transport (plugin/inline.c) costs, with nothing
 * behind it. Two marker instructions, each caught by an instruction
 * callback registered at translation time:
 *
 *   nopw 0x4c52(%rax,%rax,1)  frame pointer in rdi: frame[1] = frame[0] + 1
 *                             (one register read; the result in memory,
 *                             as the product does it)
 *   nopw 0x4c53(%rax,%rax,1)  rax = rdi + rsi (two register reads and a
 *                             register write, with QEMU_PLUGIN_CB_RW_REGS)
 *   movq $0, 8(%rdi); nopw 0x4c54(%rax,%rax,1)
 *                             frame[1] = frame[0] + 1, the frame's address
 *                             taken from a memory callback on the store: no
 *                             register read (how plugin/inline.c does it)
 *
 * The second needs qemu_plugin_write_register (plugin API 6: the patched
 * QEMU's backport of 10.1's). bench/percall times both against the syscall
 * floor, which tells why the product passes results through the frame.
 */
#include <glib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static const uint8_t frame_marker[] = {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x52, 0x4c, 0x00, 0x00};
static const uint8_t regs_marker[] = {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x53, 0x4c, 0x00, 0x00};
static const uint8_t mem_marker[] = {0x66, 0x0f, 0x1f, 0x84, 0x00, 0x54, 0x4c, 0x00, 0x00};
static struct qemu_plugin_register *rdi, *rsi, *rax;
static __thread GByteArray *buf;

static struct qemu_plugin_register *find(GArray *regs, const char *name)
{
    for (guint i = 0; i < regs->len; i++) {
        qemu_plugin_reg_descriptor *d = &g_array_index(regs, qemu_plugin_reg_descriptor, i);
        if (strcmp(d->name, name) == 0) {
            return d->handle;
        }
    }
    return NULL;
}

static void on_vcpu_init(qemu_plugin_id_t id, unsigned int vcpu)
{
    (void)id, (void)vcpu;
    if (rdi) {
        return;
    }
    GArray *regs = qemu_plugin_get_registers();
    rdi = find(regs, "rdi");
    rsi = find(regs, "rsi");
    rax = find(regs, "rax");
    g_array_free(regs, TRUE);
}

static uint64_t read_reg(struct qemu_plugin_register *reg)
{
    if (!buf) {
        buf = g_byte_array_sized_new(16);
    }
    g_byte_array_set_size(buf, 0);
    qemu_plugin_read_register(reg, buf);
    uint64_t v = 0;
    memcpy(&v, buf->data, buf->len >= sizeof(v) ? sizeof(v) : 0);
    return v;
}

static void on_frame_marker(unsigned int vcpu, void *userdata)
{
    (void)vcpu, (void)userdata;
    uint64_t *frame = (uint64_t *)(uintptr_t)read_reg(rdi);
    frame[1] = frame[0] + 1; /* guest_base == 0: the guest's frame, directly */
}

static void on_regs_marker(unsigned int vcpu, void *userdata)
{
    (void)vcpu, (void)userdata;
    uint64_t sum = read_reg(rdi) + read_reg(rsi);
    g_byte_array_set_size(buf, sizeof(sum));
    memcpy(buf->data, &sum, sizeof(sum));
    qemu_plugin_write_register(rax, buf);
}

static void on_frame_stored(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr,
                            void *userdata)
{
    (void)vcpu, (void)info, (void)userdata;
    uint64_t *frame = (uint64_t *)(uintptr_t)(vaddr - 8);
    frame[1] = frame[0] + 1;
}

static bool is(struct qemu_plugin_insn *insn, const uint8_t *marker, size_t size)
{
    uint8_t bytes[16];
    return qemu_plugin_insn_size(insn) == size &&
           qemu_plugin_insn_data(insn, bytes, size) == size && memcmp(bytes, marker, size) == 0;
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (is(insn, frame_marker, sizeof(frame_marker))) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_frame_marker, QEMU_PLUGIN_CB_R_REGS,
                                                   NULL);
        } else if (i > 0 && is(insn, mem_marker, sizeof(mem_marker))) {
            qemu_plugin_register_vcpu_mem_cb(qemu_plugin_tb_get_insn(tb, i - 1), on_frame_stored,
                                             QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_MEM_W, NULL);
        } else if (is(insn, regs_marker, sizeof(regs_marker))) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_regs_marker, QEMU_PLUGIN_CB_RW_REGS,
                                                   NULL);
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
