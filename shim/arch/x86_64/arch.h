/* SPDX-License-Identifier: MIT */
/* x86-64: everything the shim knows about the machine, in one file (the
 * build puts this directory on the include path; arch/generic/arch.h is
 * the fallback). */
#ifndef ME_ARCH_H
#define ME_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

/* ---- raw system calls: number in rax, arguments in rdi rsi rdx r10 r8 r9 ---- */
static inline __attribute__((always_inline)) long me_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

/* ---- the kernel's struct sigaction (rt_sigaction) ---- */
#define ME_SA_RESTORER 0x04000000u /* glibc always sets it; the kernel reports it */
#define ME_ARCH_KSIGACTION 1
struct me_ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

/* ---- the interrupted context ---- */
static inline uintptr_t me_uc_pc(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP]; }
static inline uintptr_t me_uc_sp(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP]; }
/* rax: the system call's number while the pc is at the syscall
 * instruction (blocked and restarting, or about to enter), its result just
 * after it */
static inline long me_uc_sysnr(const ucontext_t *uc) { return (long)uc->uc_mcontext.gregs[REG_RAX]; }
static inline long me_uc_sysret(const ucontext_t *uc) { return (long)uc->uc_mcontext.gregs[REG_RAX]; }

/* ---- glibc's system-call wrappers, as machine code (safepoint.c) ---- */
#define ME_ARCH_SAFEPOINTS 1
#define ME_SYSCALL_INSN_LEN 2
/* pc at the syscall instruction (blocked in it, or about to enter) */
static inline bool me_insn_is_syscall(const unsigned char *p) { return p[0] == 0x0f && p[1] == 0x05; }
/* The call that just returned to p, or -1: rax holds its result now, so
 * the number is read from the wrapper's "mov $NR,%eax; syscall". */
static inline long me_syscall_nr_after(const unsigned char *p, uintptr_t lo, const ucontext_t *uc)
{
    (void)uc;
    if ((uintptr_t)p < lo + 7 || p[-7] != 0xb8 || p[-4] != 0 || p[-3] != 0)
        return -1;
    return p[-6] | (p[-5] << 8);
}
/* glibc's single-threaded fast path after the syscall ends
 * "cmp $-4096,%rax (or $-4095); ja/jae error; ret": nothing is left to do
 * but return, and the stack is as the caller left it. Returns the return
 * address, or 0 when p is not such an ending. */
static inline uintptr_t me_wrapper_return(const unsigned char *p, uintptr_t hi, const ucontext_t *uc)
{
    if ((uintptr_t)p + 9 > hi)
        return 0;
    if (p[0] != 0x48 || p[1] != 0x3d || (p[2] != 0x00 && p[2] != 0x01) || p[3] != 0xf0 ||
        p[4] != 0xff || p[5] != 0xff || (p[6] != 0x77 && p[6] != 0x73) || p[8] != 0xc3)
        return 0;
    uintptr_t ret;
    memcpy(&ret, (const void *)me_uc_sp(uc), sizeof ret);
    return ret;
}

/* ---- vfork: arch/x86_64/vfork.S wraps it ---- */
#define ME_ARCH_VFORK_STUB 1

/* ---- dlsym as libc.so.6 exports it under its oldest version (one symbol
 * version less for the dynamic linker to check at every start) ---- */
#define ME_DLSYM_VERSION "dlsym@GLIBC_2.2.5"

#endif
