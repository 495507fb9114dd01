/* SPDX-License-Identifier: MIT */
/* Signals the cleanup raises itself. A flush to a pipe whose reader is gone
 * raises SIGPIPE; a C++ std::thread still joinable at exit calls
 * std::terminate, which raises SIGABRT; an exit function may crash. Any of
 * them would kill the process by the wrong signal (141 for 143 in a
 * shell). So while a signal-initiated cleanup runs, those whose default
 * action kills (and that are not managed: the dispatcher sees those) get a
 * handler that ends the cleanup by dying by the signal that started it. */
#include "exit_guard.h"

#include <string.h>
#include "die_by.h"
#include "kernel_disp.h"
#include "real.h"

static _Atomic int started_by;

static void raised(int sig)
{
    (void)sig;
    me_die_by(atomic_load(&started_by));
}

void me_exit_guard_raised(int sig)
{
    static const int raisable[] = {SIGPIPE, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};
    struct sigaction a, old;
    memset(&a, 0, sizeof a);
    a.sa_handler = raised;
    atomic_store(&started_by, sig);
    for (size_t i = 0; i < sizeof raisable / sizeof raisable[0]; i++) {
        int s = raisable[i];
        if (me_is_managed(s) || me_real.sigaction_fn(s, &a, &old) != 0)
            continue;
        /* one call when the disposition is SIG_DFL, as it mostly is */
        if (old.sa_handler != SIG_DFL)
            me_real.sigaction_fn(s, &old, NULL);
    }
}
