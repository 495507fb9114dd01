/* SPDX-License-Identifier: MIT */
/* fork and friends. Ownership of exit functions is by process identity
 * (me_self_id), kept in a page the kernel wipes in every forked child, so
 * fork, _Fork, forkpty, raw clone and syscall(SYS_fork) need no hook to be
 * right.
 * What is left here:
 *   - daemon(): the same program goes on in the child, so the child takes
 *     over the parent's private exit functions (the parent _exits at once);
 *   - vfork(): fill the pid cache before the child shares it. A forked child
 *     refills its wiped cache lazily; if its first call to vfork came first,
 *     the vfork child would fill the shared page with its own pid, and the
 *     parent would take that pid for its own once the child is gone;
 *   - fork() with stdio output pending: the child remembers it, to leave
 *     it to the parent if a signal ends the child (inherited_stdio.c);
 *   - the optional "children ignore SIGINT" (MULTIEXIT_CHILD_SIGINT=ignore)
 *     in the child of fork, daemon and forkpty. Without it, fork is a tail
 *     call: the child returns straight to the program and never touches the
 *     shim's pages (each a page fault in a fresh child). By wrapping the
 *     calls, not with pthread_atfork: its first registration initialises
 *     malloc, which costs every process some 70 KB of memory;
 *   - exit() in a vfork child, which shares its parent's memory: walking
 *     glibc's list there would run (and free) the parent's entries. */
#include "fork_family.h"
#include "sys.h"

#include <pty.h>
#include <string.h>
#include <unistd.h>

#include "../registry/exitfns.h"
#include "export.h"
#include "inherited_stdio.h"
#include "init.h"
#include "kernel_disp.h"
#include "process.h"
#include "real.h"
#include "settings.h"
#include "signal_family.h"
#include "placement.h"

ME_WARM static pid_t __attribute__((noinline)) fork_then_hook_child(bool stdio_pending)
{
    pid_t p = ME_REAL(fork_fn)();
    if (p == 0) {
        if (stdio_pending)
            me_stdio_record_inherited();
        me_fork_child();
    }
    return p;
}

ME_WARM ME_EXPORT pid_t fork(void)
{
    me_ensure_init();
    if (ME_LEFT_ALONE())
        return ME_REAL(fork_fn)();
    bool stdio_pending = me_stdio_pending();
#if ME_ARCH_VFORK_STUB
    if (__builtin_expect(me_cfg.child_ignore_int || stdio_pending, 0))
        return fork_then_hook_child(stdio_pending);
    return ME_REAL(fork_fn)(); /* compiled as a jump */
#else
    return fork_then_hook_child(stdio_pending); /* no vfork stub here: refill in the child */
#endif
}

ME_EXPORT pid_t __fork(void) __THROW __attribute__((alias("fork")));

ME_WARM ME_EXPORT int forkpty(int *amaster, char *name, const struct termios *termp,
                      const struct winsize *winp)
{
    me_ensure_init();
    bool stdio_pending = !ME_LEFT_ALONE() && me_stdio_pending();
    int p = ME_REAL_LAZY(int (*)(int *, char *, const struct termios *, const struct winsize *),
                         "forkpty")(amaster, name, termp, winp);
    if (p == 0 && !ME_LEFT_ALONE()) {
        if (stdio_pending)
            me_stdio_record_inherited();
        me_fork_child();
    }
    return p;
}

ME_WARM ME_EXPORT int daemon(int nochdir, int noclose)
{
    me_ensure_init();
    int (*real_daemon)(int, int) = ME_REAL_LAZY(int (*)(int, int), "daemon");
    if (ME_LEFT_ALONE())
        return real_daemon(nochdir, noclose);
    uint32_t parent = me_self_id();
    int r = real_daemon(nochdir, noclose);
    if (r == 0) {
        me_fork_child();
        me_exitfns_transfer(parent, me_self_id());
        me_chains_transfer(parent, me_self_id());
    }
    return r;
}

/* The preparation of vfork (the stub is arch/<arch>/vfork.S): returns the
 * real vfork, which the stub jumps to. */
void *me_vfork_prepare(void);
ME_WARM void *me_vfork_prepare(void)
{
    me_ensure_init();
    if (!ME_LEFT_ALONE()) {
        me_pid_cache_fill();
        atomic_store_explicit(&me_vforked, true, memory_order_relaxed);
    }
    return ME_REAL_LAZY(void *, "vfork");
}


ME_WARM void me_fork_child(void)
{
    /* Refill the wiped cache now, before a vfork could share it. Written
     * without reading it first: a read would map the zero page, and the
     * write then copy it (two faults instead of one). */
    me_pid_slow();
    if (me_cfg.child_ignore_int && me_is_managed(SIGINT)) {
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        me_sigaction(SIGINT, &ign, NULL, NULL);
    }
}

void me_vfork_child_exit(int status)
{
    me_exitfns_run_shared(ME_PROC_VFORK_CHILD, status);
    for (;;)
        me_sys(SYS_exit_group, status);
}
