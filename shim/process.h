/* SPDX-License-Identifier: MIT */
#ifndef ME_PROCESS_H
#define ME_PROCESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Which process this is (process.c): its pid, its identity, and whether
 * it is a vfork child sharing its parent's memory.
 *
 * The pid is cached in a MADV_WIPEONFORK page (its first word): any fork
 * (even a raw clone without CLONE_VM) sees it zeroed and asks the kernel
 * again. A vfork child shares the page and sees its parent's pid. The
 * page is made on demand; until then every call asks the kernel. */
extern volatile pid_t *_Atomic me_pid_cache;
pid_t me_pid_slow(void);
/* For the vfork wrapper: the cache exists and holds our pid before a
 * child shares it. */
void me_pid_cache_fill(void);
static inline __attribute__((always_inline)) pid_t me_pid(void)
{
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_relaxed);
    pid_t p = __builtin_expect(c != NULL, 1) ? *c : 0;
    return __builtin_expect(p != 0, 1) ? p : me_pid_slow();
}

/* This process's identity: a number that no process whose memory this one
 * copied ever had, and that a fork never copies: kept beside the pid in
 * the MADV_WIPEONFORK page (made on first use), drawn from a counter in
 * ordinary memory, which each process that draws one leaves past it. So a
 * forked child, however made, draws a new one, and a process that gets a
 * dead ancestor's pid is not that ancestor. Below 2^28, never 0. A vfork
 * child shares the page and reads its parent's identity: where that
 * matters, ask me_in_vfork_child() first (such a child's identity is
 * ME_PROC_VFORK_CHILD, registry/exitfns.h). Async-signal-safe. */
uint32_t me_self_id_slow(void);
static inline __attribute__((always_inline)) uint32_t me_self_id(void)
{
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_relaxed);
    uint32_t id = __builtin_expect(c != NULL, 1) ? ((volatile uint32_t *)c)[1] : 0;
    return __builtin_expect(id != 0, 1) ? id : me_self_id_slow();
}
/* The identity drawn so far, 0 if none (no page made yet). */
uint32_t me_drawn_id(void);

/* A vfork child of ours, sharing our memory (not our kernel state). */
bool me_in_vfork_child(void);
/* Set by the first vfork(): until then the check costs no system call. */
extern _Atomic bool me_vforked;

/* The program's main function has started (constructors are done), called
 * from the frame given: every frame of main's is below it on the main
 * thread's stack. NULL before, or if the program did not start through
 * __libc_start_main. */
void me_main_starts(void *frame);
bool me_main_started(void);
void *me_main_frame(void);

#endif
