/* void lorelei_ctx_switch(void **save_sp, void *load_sp)  -- see coro.c
 * Saves the SysV callee-saved registers and the FP control words (MXCSR and
 * x87 control word are callee-saved too) on the current stack. */
    .text
    .globl lorelei_ctx_switch
    .hidden lorelei_ctx_switch
    .type lorelei_ctx_switch, @function
lorelei_ctx_switch:
    .cfi_startproc
    push %r15
    push %r14
    push %r13
    push %r12
    push %rbx
    push %rbp
    sub $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    add $8, %rsp
    pop %rbp
    pop %rbx
    pop %r12
    pop %r13
    pop %r14
    pop %r15
    ret
    .cfi_endproc
    .size lorelei_ctx_switch, .-lorelei_ctx_switch

/* First code on a fresh coroutine stack: r12 = coro, r13 = body. */
    .globl lorelei_ctx_start
    .hidden lorelei_ctx_start
    .type lorelei_ctx_start, @function
lorelei_ctx_start:
    .cfi_startproc
    .cfi_undefined rip
    xor %ebp, %ebp
    push %rbp
    mov %r12, %rdi
    mov %r13, %rsi
    call lorelei_coro_main@PLT
    ud2
    .cfi_endproc
    .size lorelei_ctx_start, .-lorelei_ctx_start

    .section .note.GNU-stack, "", @progbits
