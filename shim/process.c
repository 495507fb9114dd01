/* SPDX-License-Identifier: MIT */
/* Which process this is: its pid (cached), its identity (ownership of
 * exit functions and handlers across fork), and whether it is a vfork
 * child that shares its parent's memory. See process.h. */
#include "process.h"

#include <stdatomic.h>
#include <sys/mman.h>

#include "../registry/exitfns.h"
#include "mapping.h"
#include "sys.h"
#include "placement.h"

volatile pid_t *_Atomic me_pid_cache; /* in a MADV_WIPEONFORK page, or NULL */

/* The cache page costs the process a page of memory and a mapping (which
 * every fork copies), so it is made only once the pid is asked for often:
 * a program that never registers many exit functions never pays for it.
 * Where vfork is not wrapped (see fork_family.c) it is made at start-up,
 * so that a vfork child, sharing our memory, never makes or fills it. */
#if ME_ARCH_VFORK_STUB
#define ME_PID_LOOKUPS_BEFORE_CACHE 32
#else
#define ME_PID_LOOKUPS_BEFORE_CACHE 0
#endif

/* Maps the cache page; false on a kernel without MADV_WIPEONFORK (< 4.14)
 * or short of memory, which then always asks. Async-signal-safe.
 * An emulator that accepts every madvise() and does nothing (qemu-user)
 * would leave a forked child its parent's page, pid and identity: it is
 * told apart by accepting an advice no kernel knows. */
ME_WARM static bool make_pid_cache(void)
{
    static _Atomic bool unsupported;
    if (atomic_load_explicit(&unsupported, memory_order_relaxed))
        return false;
    if (me_sys(SYS_madvise, 0, 0, -1) != 0 &&
        me_map_once((void *_Atomic *)&me_pid_cache, 4096, MADV_WIPEONFORK))
        return true;
    atomic_store_explicit(&unsupported, true, memory_order_relaxed);
    return false;
}

ME_START pid_t me_pid_slow(void)
{
    static _Atomic unsigned lookups;
    pid_t p = me_sys_getpid();
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    if (!c && atomic_fetch_add_explicit(&lookups, 1, memory_order_relaxed) + 1 >
                  ME_PID_LOOKUPS_BEFORE_CACHE && make_pid_cache())
        c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    if (c)
        *c = p;
    return p;
}

/* For the vfork wrapper: the cache must exist and hold our pid before a
 * child shares it. */
ME_WARM void me_pid_cache_fill(void)
{
    make_pid_cache(); /* returns at once if the page is there */
    me_pid();
}

/* Set by the first vfork() (fork_family.c): until then no process can be
 * a vfork child of ours, and the check costs no system call. */
_Atomic bool me_vforked = !ME_ARCH_VFORK_STUB; /* not wrapped: always ask */

/* Every identity this memory has handed out is at most this (see
 * me_self_id). Identities past 2^27 stand for a pid where the page cannot
 * be made; ME_PROC_VFORK_CHILD (2^28 - 1) for a vfork child. */
static _Atomic uint32_t ids_drawn;
#define ME_ID_OF_PID 0x08000000u

ME_WARM uint32_t me_self_id_slow(void)
{
    pid_t p = me_sys_getpid();
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    if (c && *c != 0 && *c != p)
        return ME_PROC_VFORK_CHILD; /* the page is its parent's */
    if (!c && make_pid_cache())
        c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    if (!c)
        return ME_ID_OF_PID | (uint32_t)p;
    *c = p;
    uint32_t mine = atomic_fetch_add(&ids_drawn, 1) + 1, found = 0;
    /* two threads of a new child may race: the first one's stays */
    if (!__atomic_compare_exchange_n((uint32_t *)&c[1], &found, mine, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return found;
    return mine;
}

ME_WARM bool me_in_vfork_child(void)
{
    if (!atomic_load_explicit(&me_vforked, memory_order_relaxed))
        return false;
    /* A forked child sees the page zeroed; a vfork child (CLONE_VM) sees its
     * parent's pid. Read it raw: filling it here would write the child's
     * pid into the parent's memory. */
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    return c && *c != 0 && *c != me_sys_getpid();
}

ME_START uint32_t me_drawn_id(void)
{
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_relaxed);
    return c ? ((volatile uint32_t *)c)[1] : 0;
}

/* (One word: the library's writable data must stay within one page.) */
static void *_Atomic main_frame;

ME_START void me_main_starts(void *frame)
{
    atomic_store_explicit(&main_frame, frame, memory_order_relaxed);
}
bool me_main_started(void) { return atomic_load(&main_frame) != NULL; }
void *me_main_frame(void) { return atomic_load(&main_frame); }
