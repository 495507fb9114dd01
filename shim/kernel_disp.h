/* SPDX-License-Identifier: MIT */
#ifndef ME_KERNEL_DISP_H
#define ME_KERNEL_DISP_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../config/me_config.h"

/* The kernel-level disposition of every managed signal (kernel_disp.c). */

/* A per-thread token: the address of a thread-local variable (kernel_disp.c),
 * no system call. Unique among the threads alive at one time. */
extern __thread char me_thread_token_ __attribute__((tls_model("initial-exec"), visibility("hidden")));
static inline __attribute__((always_inline)) uintptr_t me_thread_token(void)
{
    return (uintptr_t)&me_thread_token_;
}

/* The signals the shim manages now (MULTIEXIT_SIGNALS, less those it had
 * to leave to libc). */
extern _Atomic me_sigmask me_managed;
static inline __attribute__((always_inline)) bool me_is_managed(int sig)
{
    return sig >= 1 && sig <= ME_MAXSIG &&
           (atomic_load_explicit(&me_managed, memory_order_relaxed) & ME_SIGBIT(sig));
}
/* Changes the managed set: takes signals over, or hands them back to libc. */
void me_set_managed(me_sigmask want);

/* The one handler the kernel gets for a managed signal (set once at init,
 * before any signal is taken over). */
void me_kernel_use_dispatcher(void (*dispatch)(int, siginfo_t *, void *));
/* Maps the handler chains' memory on first use; false if the kernel refuses
 * (the signal is then left to libc). */
bool me_kernel_chains_ready(void);
bool me_kernel_take_over(int sig); /* false: left to libc (no memory) */
void me_kernel_sync(int sig);
/* Applies sig's disposition to the kernel even if it looks applied. */
void me_kernel_resync(int sig);
/* The flags of a requested disposition that the kernel keeps (Linux 5.11+
 * clears bits it does not know, which SA_UNSUPPORTED probing relies on). */
uint32_t me_kernel_kept_flags(int sig, uint32_t flags);
/* After a fork, before the child's first change of a chain: forgets what
 * threads that did not survive the fork were doing. Cheap when no fork. */
void me_kernel_fork_check(void);
/* glibc's signal-return trampoline, as the kernel reports sa_restorer. */
void *me_kernel_restorer(void);
/* What the kernel blocks on entry to the dispatcher besides the interrupted
 * mask (racy against a concurrent install: only to skip a sigprocmask). */
uint64_t me_kernel_mask(int sig, bool *nodefer);

#endif
