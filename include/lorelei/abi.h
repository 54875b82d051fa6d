/*
 * The Lorelei wire protocol: the one magic syscall between the x86_64 guest
 * runtime and the host plugin. Shared by plugin/, thunklibs/runtime/ and the
 * code thunkgen/ writes; docs/abi.md explains it in prose.
 *
 * Trust: the guest is the user's own program (qemu-user is no sandbox), but
 * everything the guest names (operation, library, function index, channel) is
 * bounds-checked by the plugin: a bad value gets an error code, never a crash.
 * Pointers are shared as they are: the plugin refuses to run unless QEMU maps
 * guest address X at host address X (guest_base == 0).
 *
 * Both sides are LP64 little-endian; every field below has a fixed width.
 */
#ifndef LORELEI_ABI_H
#define LORELEI_ABI_H

#include <stdint.h>

/* Far above any Linux syscall number on x86_64 (< 1024), and below the x32
 * bit (0x40000000), so real syscalls and the magic one never collide. */
#define LORELEI_SYSCALL_NR 0x4c52

/* Bump on any incompatible change to this file. Guest runtime and plugin must
 * agree exactly; HELLO refuses a mismatch with a message naming both. */
#define LORELEI_ABI_VERSION 1

/*
 * Operations: rax = LORELEI_SYSCALL_NR, rdi = op, rsi = a2, rdx = a3.
 *
 * Result (rax) of every operation, see enum lorelei_status:
 *   0         done
 *   > 0       the address of a struct lorelei_callback (host memory) the guest
 *             must run, then report with CALLBACK_RETURN
 *   < 0       -LORELEI_E* error
 * -512/-513 are never a result: QEMU reserves them for syscall restart.
 */
enum lorelei_op {
    /* a2 = struct lorelei_hello *. Version handshake and guest_base check. */
    LORELEI_OP_HELLO = 1,
    /* a2 = struct lorelei_lib_open *. Load a thunk library on the host. */
    LORELEI_OP_LIB_OPEN = 2,
    /* a2 = function id (LORELEI_FN_ID), a3 = uint64_t frame[] (guest stack).
     * Runs the host thunk; arguments and results travel in the frame. */
    LORELEI_OP_CALL = 3,
    /* a2 = the struct lorelei_callback * the guest just ran. Resumes the host
     * code that asked for it; the result is the outer call's next status. */
    LORELEI_OP_CALLBACK_RETURN = 4,
    /* a2 = service channel id (0 = the manager). Blocks until a host thread
     * needs a callback run on this channel; returns it like CALL would.
     * Restartable: it returns QEMU's restart code when a signal is pending,
     * so guest signal handlers run while service threads wait. */
    LORELEI_OP_WAIT_CALLBACK = 5,
    /* No operands: answered at once. The cost floor of the transport. */
    LORELEI_OP_NOP = 6,
};

enum lorelei_error {
    LORELEI_ENOENT = 2,   /* unknown library, function index or channel */
    LORELEI_ENOEXEC = 8,  /* the host function is missing from the host library */
    LORELEI_EFAULT = 14,  /* guest_base != 0: pointers cannot be shared */
    LORELEI_EINVAL = 22,  /* malformed request */
    LORELEI_ENOSYS = 38,  /* no Lorelei plugin (the kernel's or QEMU's answer) */
    LORELEI_ENOLINK = 67, /* library not enabled, or its host library failed to load */
    LORELEI_EPROTO = 71,  /* ABI version or table mismatch, or callbacks unwound out of order */
};

/* Function ids: library id in the high bits, index in the library's table. */
#define LORELEI_FN_INDEX_BITS     20
#define LORELEI_FN_ID(lib, index) (((uint64_t)(lib) << LORELEI_FN_INDEX_BITS) | (uint64_t)(index))
#define LORELEI_FN_LIB(id)        ((uint64_t)(id) >> LORELEI_FN_INDEX_BITS)
#define LORELEI_FN_INDEX(id)      ((uint64_t)(id) & ((1u << LORELEI_FN_INDEX_BITS) - 1))

#define LORELEI_MESSAGE_SIZE 512

/*
 * The inline transport (docs/abi.md, "Inline calls"): a stub may try a call
 * without leaving QEMU's CPU loop. With rdx = frame it executes, in this
 * order and nothing in between:
 *
 *   movq $fn_id, -8(%rdx)      48 c7 42 f8 imm32     the status slot, below the frame
 *   movq $0, top(%rdx)         48 c7 {02|42 d8|82 d32} 00000000
 *                                                    the frame's last slot
 *   nopw 0x4c52(%rax,%rax,1)   the marker below
 *
 * The plugin recognises the three at translation time and runs the call from
 * a callback on the second store, which gets the frame from the address
 * stored to; the two guest stores have proven the frame's first and last
 * pages writable before it looks. Afterwards the status slot
 * reads 0 (done), a negative -LORELEI_E* (a malformed request) or still
 * fn_id: not served inline, issue CALL as usual. A marker without the two
 * stores in front of it, in the same translation block, is a plain no-op.
 */
#define LORELEI_INLINE_MARKER_BYTES 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x52, 0x4c, 0x00, 0x00
#define LORELEI_INLINE_MARKER_ASM   ".byte 0x66,0x0f,0x1f,0x84,0x00,0x52,0x4c,0x00,0x00"
#define LORELEI_INLINE_MARKER_SIZE  9
/* The frame's last slot must lie within a page of its status slot, so the
 * two stores cover every page of the frame. */
#define LORELEI_INLINE_MAX_FRAME_SLOTS 500

struct lorelei_hello {
    uint32_t abi_version; /* in: the guest runtime's; out: the plugin's */
    uint32_t flags;       /* reserved, 0 */
    uint64_t probe_addr;  /* in: guest address of probe_value */
    uint64_t probe_value; /* in: a value the plugin reads both ways to check guest_base */
    char message[LORELEI_MESSAGE_SIZE]; /* out: why the plugin refused */
};

struct lorelei_lib_open {
    uint32_t lib_id;      /* in: the library's id in the generated tables */
    uint32_t n_functions; /* in: entries in the guest stub's table */
    uint64_t api_hash;    /* in: hash of the description the stub was made from */
    uint64_t invokers;    /* in: guest address of the stub's invoker table */
    uint32_t n_invokers;  /* in: entries in it, one per callback signature */
    uint32_t reserved;
    char message[LORELEI_MESSAGE_SIZE]; /* out: why the library is unavailable */
};

/* A guest function taking the callback's frame: it unpacks the arguments,
 * calls fn and packs the result. One per callback signature, generated. */
typedef void (*lorelei_invoker_fn)(uint64_t fn, uint64_t *frame);

enum lorelei_callback_kind {
    LORELEI_CB_CALL = 0,          /* call invoker(fn, frame) */
    LORELEI_CB_SPAWN_SERVICE = 1, /* manager only: start a service thread for channel fn */
    LORELEI_CB_EXIT_SERVICE = 2,  /* service thread: the host thread is gone, exit */
    LORELEI_CB_START_MANAGER = 3, /* after fork(): start the manager thread, then report */
};

/* Lives in host memory; the guest reads it and writes nothing but the frame. */
struct lorelei_callback {
    uint64_t kind;    /* enum lorelei_callback_kind */
    uint64_t invoker; /* guest lorelei_invoker_fn */
    uint64_t fn;      /* guest function (or channel id for SPAWN_SERVICE) */
    uint64_t frame;   /* arguments in, result out: uint64_t slots */
    uint64_t token;   /* numbers the callback in the plugin's messages; not checked:
                       * CALLBACK_RETURN names a callback by this struct's address,
                       * which is unique among the callbacks in progress */
};

#endif /* LORELEI_ABI_H */
