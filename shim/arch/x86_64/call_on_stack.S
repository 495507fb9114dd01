/* SPDX-License-Identifier: MIT */
/* me_call_on_stack(top, fn, sig, info, uc): calls fn(sig, info, uc) with the
 * stack pointer at top (16-byte aligned), and comes back to the caller's
 * stack. The dispatcher runs a chained SA_ONSTACK handler on the thread's
 * alternate stack with it, where the kernel would have run that handler
 * had it been the only one (dispatch.c). A one-argument handler ignores
 * the other two, as it does when the kernel calls it. */
    .text
    .globl me_call_on_stack
    .hidden me_call_on_stack
    .type me_call_on_stack, @function
me_call_on_stack:
    .cfi_startproc
    endbr64
    push %rbp
    .cfi_adjust_cfa_offset 8
    .cfi_offset %rbp, -16
    mov %rsp, %rbp
    .cfi_def_cfa_register %rbp
    mov %rdi, %rsp          /* the other stack */
    mov %rsi, %rax
    mov %edx, %edi
    mov %rcx, %rsi
    mov %r8, %rdx
    call *%rax
    mov %rbp, %rsp          /* back */
    pop %rbp
    .cfi_def_cfa %rsp, 8
    ret
    .cfi_endproc
    .size me_call_on_stack, .-me_call_on_stack
    .section .note.GNU-stack,"",@progbits
