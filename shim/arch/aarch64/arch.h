/* SPDX-License-Identifier: MIT */
/* aarch64: everything the shim knows about the machine, in one file (the
 * build puts this directory on the include path). The same interface as
 * arch/x86_64/arch.h. */
#ifndef ME_ARCH_H
#define ME_ARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

/* ---- raw system calls: "svc #0", number in x8, arguments in x0-x5,
 * result in x0 ---- */
static inline __attribute__((always_inline)) long me_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory", "cc");
    return x0;
}

/* ---- the kernel's struct sigaction (rt_sigaction): the generic layout
 * with a restorer field, which glibc leaves unused: it never sets
 * SA_RESTORER, the kernel returns through the vDSO's sigreturn ---- */
#define ME_SA_RESTORER 0u
#define ME_ARCH_KSIGACTION 1
struct me_ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

/* ---- the interrupted context ---- */
static inline uintptr_t me_uc_pc(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.pc; }
static inline uintptr_t me_uc_sp(const ucontext_t *uc) { return (uintptr_t)uc->uc_mcontext.sp; }
/* x8 holds the number before and after the call (glibc's wrappers load it
 * just before "svc #0" and nothing changes it until they return); x0 the
 * result after it. At the instruction itself (blocked and restarting) the
 * kernel has put the first argument back in x0. */
static inline long me_uc_sysnr(const ucontext_t *uc) { return (long)uc->uc_mcontext.regs[8]; }
static inline long me_uc_sysret(const ucontext_t *uc) { return (long)uc->uc_mcontext.regs[0]; }

/* ---- glibc's system-call wrappers, as machine code (safepoint.c) ---- */
#define ME_ARCH_SAFEPOINTS 1
#define ME_SYSCALL_INSN_LEN 4
static inline uint32_t me_insn_at(const unsigned char *p)
{
    uint32_t w;
    memcpy(&w, p, sizeof w);
    return w;
}
/* pc at "svc #0" (blocked in it, or about to enter) */
static inline bool me_insn_is_syscall(const unsigned char *p) { return me_insn_at(p) == 0xd4000001u; }
/* The call that just returned to p (p follows "svc #0"): x8 still holds
 * its number. */
static inline long me_syscall_nr_after(const unsigned char *p, uintptr_t lo, const ucontext_t *uc)
{
    (void)p;
    (void)lo;
    return me_uc_sysnr(uc);
}

/* x30 as saved by a function built with pointer authentication
 * ("paciasp"), without its signature: xpaclri (a no-op where the CPU has
 * no pointer authentication). */
static inline uintptr_t me_strip_pac(uintptr_t lr)
{
    register uintptr_t x30 __asm__("x30") = lr;
    __asm__("hint #7" : "+r"(x30)); /* xpaclri */
    return x30;
}

/* Where the wrapper that has just made a system call returns to, when
 * nothing is left for it to do but test the result, restore its frame and
 * return; 0 when p is not such an ending. glibc's endings after "svc #0"
 * (and after the call of a nested wrapper):
 *   "cmn x0, #0xfff; b.cs error; ret"                  (assembly wrappers)
 *   "ret"                                              (calls that cannot fail)
 *   "mov x19, x0; cmn x0, #1, lsl #12; b.hi error; mov x0, x19;
 *    ldp x19, x20, [sp, #16]; ldp x29, x30, [sp], #48; ret"   (C wrappers, 2.36)
 *   2.41: __internal_syscall_cancel "ldr x19, [sp, #16];
 *    ldp x29, x30, [sp], #32; autiasp; ret", returning into
 *    __syscall_cancel "cmn x0, #1, lsl #12; b.hi error;
 *    ldp x29, x30, [sp], #16; autiasp; ret", which write tail-calls
 * read as: register moves, the error test (its branch sets errno and
 * comes back, or returns to the same caller), loads from the stack
 * (following x30's, signed or not), a return. A return into the same
 * object (lo..hi: libc) goes on reading there, for at most four frames;
 * one out of it is the answer when the result was tested on the way (or
 * the call cannot fail: a bare "ret"). Anything else, a call among them
 * (the cancellable path), is not such an ending. */
#define ME_WRAPPER_TAIL_MAX 12
static inline uintptr_t me_wrapper_return(const unsigned char *p, uintptr_t lo, uintptr_t hi,
                                          const ucontext_t *uc)
{
    uintptr_t sp = me_uc_sp(uc), lr = (uintptr_t)uc->uc_mcontext.regs[30];
    bool tested = false, bare = true;
    for (int frame = 0; frame < 4; frame++) {
        int i = 0;
        for (;; i++, p += 4) {
            if (i == ME_WRAPPER_TAIL_MAX || (uintptr_t)p + 4 > hi)
                return 0;
            uint32_t w = me_insn_at(p);
            unsigned rt = w & 31, rt2 = (w >> 10) & 31, rn = (w >> 5) & 31;
            if (w == 0xd65f03c0u) /* ret */
                break;
            bare = false;
            /* mov xd/wd, xm/wm, not into x30, nor into x0 before it is tested */
            if ((w & 0x7fe0ffe0u) == 0x2a0003e0u && rt != 30 && (tested || rt != 0))
                continue;
            if ((w & 0xff80001fu) == 0xb100001fu && rn == 0) { /* cmn x0, #imm */
                tested = true;
                continue;
            }
            if ((w & 0xff000010u) == 0x54000000u && tested) /* b.cond: the error branch */
                continue;
            if ((w & 0xffc00000u) == 0xa9400000u && rn == 31) { /* ldp xt, xt2, [sp, #imm] */
                int64_t off = (int64_t)((int32_t)(w << 10) >> 25) * 8;
                if (rt == 30)
                    memcpy(&lr, (const void *)(sp + (uintptr_t)off), sizeof lr);
                if (rt2 == 30)
                    memcpy(&lr, (const void *)(sp + (uintptr_t)off + 8), sizeof lr);
                continue;
            }
            if ((w & 0xffc00000u) == 0xa8c00000u && rn == 31) { /* ldp xt, xt2, [sp], #imm */
                int64_t off = (int64_t)((int32_t)(w << 10) >> 25) * 8;
                if (rt == 30)
                    memcpy(&lr, (const void *)sp, sizeof lr);
                if (rt2 == 30)
                    memcpy(&lr, (const void *)(sp + 8), sizeof lr);
                sp += (uintptr_t)off;
                continue;
            }
            if ((w & 0xffc00000u) == 0xf9400000u && rn == 31) { /* ldr xt, [sp, #imm] */
                if (rt == 30)
                    memcpy(&lr, (const void *)(sp + ((w >> 10) & 0xfff) * 8), sizeof lr);
                continue;
            }
            if (w == 0xd503201fu || w == 0xd50323bfu) /* nop, autiasp */
                continue;
            return 0;
        }
        lr = me_strip_pac(lr);
        if (lr < lo || lr >= hi)
            return tested || bare ? lr : 0;
        p = (const unsigned char *)lr; /* a nested wrapper's caller, in libc */
    }
    return 0;
}

/* ---- vfork: arch/aarch64/vfork.S wraps it ---- */
#define ME_ARCH_VFORK_STUB 1

/* ---- calling a handler on another stack: arch/aarch64/call_on_stack.S ---- */
#define ME_ARCH_STACK_SWITCH 1
void me_call_on_stack(void *top, void *fn, int sig, void *info, void *uc);

/* ---- glibc's oldest symbol version here (dl_compat.h) ---- */
#define ME_GLIBC_OLDEST "GLIBC_2.17"

#endif
