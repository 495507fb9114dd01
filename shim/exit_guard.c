/* SPDX-License-Identifier: MIT */
/* Signals the cleanup raises itself. A flush to a pipe whose reader is gone
 * raises SIGPIPE; a C++ std::thread still joinable at exit calls
 * std::terminate, which raises SIGABRT; an exit function may crash. Any of
 * them would kill the process by the wrong signal (141 for 143 in a
 * shell). So while a signal-initiated cleanup runs, those whose default
 * action kills (and that are not managed: the dispatcher sees those) get a
 * handler that ends the cleanup by dying by the signal that started it. */
#include "exit_guard.h"

#include <stdatomic.h>
#include <stdbool.h>

#include "../registry/exitfns.h"
#include "die_by.h"
#include "kernel_disp.h"
#include "real.h"
#include "placement.h"

#include <string.h>

static _Atomic int started_by;
static _Atomic bool guarded;

static void raised(int sig)
{
    (void)sig;
    me_die_by(atomic_load(&started_by));
}

/* One system call when the disposition is SIG_DFL, as it mostly is. */
ME_SIGNAL static void guard(int s)
{
    struct sigaction a, old;
    memset(&a, 0, sizeof a);
    a.sa_handler = raised;
    if (me_is_managed(s) || me_real.sigaction_fn(s, &a, &old) != 0)
        return;
    if (old.sa_handler != SIG_DFL)
        me_real.sigaction_fn(s, &old, NULL);
}

/* A process that registered no exit function (C++ global objects register
 * theirs) runs little more than the flush: it only needs SIGPIPE guarded,
 * just before it (me_exit_guard_flush), which keeps the shutdown of such a
 * process five system calls shorter. */
ME_SIGNAL void me_exit_guard_raised(int sig)
{
    static const int raisable[] = {SIGPIPE, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    atomic_store(&started_by, sig);
    if (!me_exitfns_any())
        return;
    atomic_store(&guarded, true);
    for (size_t i = 0; i < sizeof raisable / sizeof raisable[0]; i++)
        guard(raisable[i]);
}

ME_SIGNAL void me_exit_guard_flush(void)
{
    if (atomic_load(&started_by) && !atomic_load(&guarded))
        guard(SIGPIPE);
}
