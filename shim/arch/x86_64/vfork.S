/* SPDX-License-Identifier: MIT */
/* vfork cannot be wrapped by a C function: the child runs on the parent's
 * stack, and returning through a wrapper's frame would leave the parent a
 * clobbered one. The stub calls the preparation (fork_family.c), which
 * returns the real vfork, and jumps to it with the stack exactly as the
 * caller left it. */
#if ME_SPLIT_LAYOUT
    .section .text.me_warm,"ax",@progbits   /* shim/placement.h: ME_WARM */
#else
    .text
#endif
    .globl vfork
    .type vfork, @function
vfork:
    .cfi_startproc
    endbr64
    sub $8, %rsp            /* the call needs a 16-byte aligned stack */
    .cfi_adjust_cfa_offset 8
    call me_vfork_prepare
    add $8, %rsp
    .cfi_adjust_cfa_offset -8
    jmp *%rax
    .cfi_endproc
    .size vfork, .-vfork
    .globl __vfork
    .set __vfork, vfork
    .section .note.GNU-stack,"",@progbits
