/* void lorelei_ctx_switch(void **save_sp, void *load_sp)  -- see coro.c
 * AAPCS64 callee-saved: x19..x28, fp (x29), lr (x30), d8..d15, and FPCR
 * (rounding mode, flush-to-zero, default NaN: the control half of the FP
 * state, as on x86 MXCSR/x87 CW). FPCR is written only when it differs, as
 * a write can stall the pipeline on some cores. */
    .text
    .globl lorelei_ctx_switch
    .hidden lorelei_ctx_switch
    .type lorelei_ctx_switch, %function
lorelei_ctx_switch:
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x10, fpcr
    str x10, [sp, #160]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldr x9, [sp, #160]
    cmp x9, x10
    b.eq 1f
    msr fpcr, x9
1:  add sp, sp, #176
    ret
    .size lorelei_ctx_switch, .-lorelei_ctx_switch

/* First code on a fresh coroutine stack: x19 = coro, x20 = body. */
    .globl lorelei_ctx_start
    .hidden lorelei_ctx_start
    .type lorelei_ctx_start, %function
lorelei_ctx_start:
    mov x29, #0
    mov x0, x19
    mov x1, x20
    bl lorelei_coro_main
    brk #0
    .size lorelei_ctx_start, .-lorelei_ctx_start

    .section .note.GNU-stack, "", %progbits
