/* SPDX-License-Identifier: MIT */
/* vfork cannot be wrapped by a C function: the child runs on the parent's
 * stack, and returning through a wrapper's frame would leave the parent a
 * clobbered one. The stub calls the preparation (fork_family.c), which
 * returns the real vfork, and branches to it with the stack and the link
 * register exactly as the caller left them. */
#if ME_SPLIT_LAYOUT
    .section .text.me_warm,"ax",%progbits   /* shim/placement.h: ME_WARM */
#else
    .text
#endif
    .globl vfork
    .type vfork, %function
    .p2align 2
vfork:
    .cfi_startproc
    hint #34                /* bti c: a landing pad where BTI is enforced */
    stp x29, x30, [sp, #-16]!
    .cfi_def_cfa_offset 16
    .cfi_offset 29, -16
    .cfi_offset 30, -8
    mov x29, sp
    bl me_vfork_prepare
    mov x16, x0             /* x16: a register br may use to reach a "bti c" */
    ldp x29, x30, [sp], #16
    .cfi_restore 29
    .cfi_restore 30
    .cfi_def_cfa_offset 0
    br x16
    .cfi_endproc
    .size vfork, .-vfork
    .globl __vfork
    .set __vfork, vfork
    .section .note.GNU-stack,"",%progbits
