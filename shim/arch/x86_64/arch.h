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
/* Where the wrapper that has just made a system call returns to, when
 * nothing is left for it to do but test the result, restore its frame and
 * return; 0 when p is not such an ending. glibc's endings after the
 * syscall instruction (and after the call of a nested wrapper):
 *   2.31-2.40  "cmp $-4096,%rax (or $-4095); ja/jae error; ret"
 *   2.41       __internal_syscall_cancel "pop %rbx; ret", returning into
 *              __syscall_cancel "pop; pop; cmp $-4096,%rax; ja error;
 *              add $8,%rsp; ret", returning into the wrapper (write)
 *              "add $0x18,%rsp; ret"; its cancellable path reloads the
 *              thread's cancel state and tests for -EINTR first
 * read as: pops and stack adjustments (followed on a copy of the stack
 * pointer), the result's tests and their forward branches (the error path
 * sets errno and returns to the same caller), a load into another
 * register, a return. A return into the same object (lo..hi: libc) goes on
 * reading there, for at most four frames; one out of it is the answer when
 * the result was tested on the way (or the wrapper is a bare "ret").
 * Anything else (a call, a store) is not such an ending. */
#define ME_WRAPPER_TAIL_MAX 16
static inline uintptr_t me_wrapper_return(const unsigned char *p, uintptr_t lo, uintptr_t hi,
                                          const ucontext_t *uc)
{
    uintptr_t sp = me_uc_sp(uc);
    bool tested = false, bare = true;
    for (int frame = 0; frame < 4; frame++) {
        int i = 0;
        for (;; i++) {
            if (i == ME_WRAPPER_TAIL_MAX || (uintptr_t)p + 10 > hi)
                return 0;
            if (p[0] == 0xc3) /* ret */
                break;
            bare = false;
            if (p[0] >= 0x58 && p[0] <= 0x5f && p[0] != 0x5c) { /* pop r64, not %rsp */
                sp += 8, p += 1;
            } else if (p[0] == 0x41 && p[1] >= 0x58 && p[1] <= 0x5f) { /* pop %r8-%r15 */
                sp += 8, p += 2;
            } else if (p[0] == 0x48 && p[1] == 0x83 && p[2] == 0xc4 && p[3] < 0x80) { /* add $i8,%rsp */
                sp += p[3], p += 4;
            } else if (p[0] == 0x48 && p[1] == 0x3d) { /* cmp $imm32,%rax */
                tested = true, p += 6;
            } else if (p[0] == 0x48 && p[1] == 0x83 && p[2] == 0xf8) { /* cmp $imm8,%rax */
                tested = true, p += 4;
            } else if ((p[0] == 0x77 || p[0] == 0x73 || p[0] == 0x74 || p[0] == 0x75) &&
                       p[1] < 0x80 && tested) { /* ja/jae/je/jne forward: the error path */
                p += 2;
            } else if (p[0] == 0x8b && (p[1] & 0xc0) == 0x80 && (p[1] & 7) != 4 &&
                       ((p[1] >> 3) & 7) != 0) { /* mov disp32(%reg),%r32, not into %eax */
                p += 6;
            } else {
                return 0;
            }
        }
        uintptr_t ret;
        memcpy(&ret, (const void *)sp, sizeof ret);
        sp += 8;
        if (ret < lo || ret >= hi)
            return tested || bare ? ret : 0;
        p = (const unsigned char *)ret; /* a nested wrapper's caller, in libc */
    }
    return 0;
}

/* ---- vfork: arch/x86_64/vfork.S wraps it ---- */
#define ME_ARCH_VFORK_STUB 1

/* ---- calling a handler on another stack: arch/x86_64/call_on_stack.S ---- */
#define ME_ARCH_STACK_SWITCH 1
void me_call_on_stack(void *top, void *fn, int sig, void *info, void *uc);

/* ---- glibc's oldest symbol version here (dl_compat.h) ---- */
#define ME_GLIBC_OLDEST "GLIBC_2.2.5"

#endif
