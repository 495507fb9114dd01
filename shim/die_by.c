/* SPDX-License-Identifier: MIT */
/* Dying by a signal with its default action. See die_by.h. */
#include "die_by.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>

#include "../config/me_config.h"
#include "process.h"
#include "real.h"
#include "sys.h"
#include "placement.h"

/* The signals whose default action dumps core (signal(7)). */
#define CORE_DUMPING                                                                           \
    (ME_SIGBIT(SIGQUIT) | ME_SIGBIT(SIGILL) | ME_SIGBIT(SIGTRAP) | ME_SIGBIT(SIGABRT) |        \
     ME_SIGBIT(SIGBUS) | ME_SIGBIT(SIGFPE) | ME_SIGBIT(SIGSEGV) | ME_SIGBIT(SIGSYS) |          \
     ME_SIGBIT(SIGXCPU) | ME_SIGBIT(SIGXFSZ))

/* The default disposition, set with the kernel's own structure where the
 * port has it: the deepest frame of a signal exit (under exit() and the
 * final flush), kept small so that it less often reaches a stack page the
 * process never touched. */
ME_SIGNAL static void set_default(int sig)
{
#ifdef ME_ARCH_KSIGACTION
    struct me_ksigaction k = {.handler = SIG_DFL};
    me_sys(SYS_rt_sigaction, sig, &k, 0, sizeof k.mask);
#else
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_handler = SIG_DFL;
    me_real.sigaction_fn(sig, &a, NULL);
#endif
}

ME_SIGNAL void me_die_by(int sig)
{
    set_default(sig);
    /* Sent first: where sig is not blocked (the signal exit unblocked it)
     * it kills here, one system call sooner; else it waits for the
     * unblocking. A signal that only terminates goes to the process (its
     * pid cached, no system call to ask); one that dumps core goes to this
     * thread, whose registers the core then shows, as the kernel's own
     * default action would. A vfork child asks for its own pid: it shares
     * its parent's cache. */
    uint64_t m = ME_SIGBIT(sig);
    pid_t pid = atomic_load_explicit(&me_vforked, memory_order_relaxed) ? me_sys_getpid() : me_pid();
    if (m & CORE_DUMPING)
        me_sys(SYS_tgkill, pid, me_sys_gettid(), sig);
    else
        me_sys(SYS_kill, pid, sig);
    me_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, &m, NULL, sizeof m);
    for (;;) /* not reached: the default action of sig terminates */
        me_sys(SYS_exit_group, 128 + sig);
}
