/* Test helpers for coro_test.c (x86_64 SysV).
 *
 * void coro_test_with_regs(const uint64_t *in, uint64_t *out,
 *                          void (*fn)(void *), void *arg);
 *   loads in[0..5] into rbx rbp r12 r13 r14 r15 (every callee-saved integer
 *   register), calls fn(arg), and stores what those registers hold afterwards
 *   in out[0..5]. fn is expected to switch coroutines: a switch that loses a
 *   callee-saved register shows up as out != in. The caller's own values are
 *   restored before returning.
 *
 * uintptr_t coro_test_caller_sp(void);
 *   the stack pointer at the call instruction that called it (before the
 *   return address was pushed), which the ABI wants 16-byte aligned. */
    .text
    .globl coro_test_with_regs
    .type coro_test_with_regs, @function
coro_test_with_regs:
    push %rbp
    push %rbx
    push %r12
    push %r13
    push %r14
    push %r15
    push %rsi               /* out; also makes rsp 16-aligned for the call */
    mov %rdi, %rax
    mov %rcx, %rdi          /* fn's argument */
    mov 0(%rax), %rbx
    mov 8(%rax), %rbp
    mov 16(%rax), %r12
    mov 24(%rax), %r13
    mov 32(%rax), %r14
    mov 40(%rax), %r15
    call *%rdx
    mov (%rsp), %rax
    mov %rbx, 0(%rax)
    mov %rbp, 8(%rax)
    mov %r12, 16(%rax)
    mov %r13, 24(%rax)
    mov %r14, 32(%rax)
    mov %r15, 40(%rax)
    pop %rsi
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbx
    pop %rbp
    ret
    .size coro_test_with_regs, .-coro_test_with_regs

    .globl coro_test_caller_sp
    .type coro_test_caller_sp, @function
coro_test_caller_sp:
    lea 8(%rsp), %rax
    ret
    .size coro_test_caller_sp, .-coro_test_caller_sp

    .section .note.GNU-stack, "", @progbits
