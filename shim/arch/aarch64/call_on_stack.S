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
    .type me_call_on_stack, %function
    .p2align 2
me_call_on_stack:
    .cfi_startproc
    hint #34                /* bti c: a landing pad where BTI is enforced */
    stp x29, x30, [sp, #-16]!
    .cfi_def_cfa_offset 16
    .cfi_offset 29, -16
    .cfi_offset 30, -8
    mov x29, sp
    .cfi_def_cfa_register 29
    mov sp, x0              /* the other stack */
    mov x16, x1
    mov w0, w2
    mov x1, x3
    mov x2, x4
    blr x16
    mov sp, x29             /* back */
    .cfi_def_cfa_register sp
    ldp x29, x30, [sp], #16
    .cfi_restore 29
    .cfi_restore 30
    .cfi_def_cfa_offset 0
    ret
    .cfi_endproc
    .size me_call_on_stack, .-me_call_on_stack
    .section .note.GNU-stack,"",%progbits
