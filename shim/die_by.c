/* SPDX-License-Identifier: MIT */
/* Dying by a signal with its default action. See die_by.h. */
#include "die_by.h"

#include <signal.h>
#include <string.h>

#include "../config/me_config.h"
#include "real.h"
#include "sys.h"

void me_die_by(int sig)
{
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_handler = SIG_DFL;
    me_real.sigaction_fn(sig, &a, NULL);
    /* Sent first: where sig is not blocked (the signal exit unblocked it)
     * it kills here, one system call sooner; else it waits on this thread
     * for the unblocking. */
    me_sys(SYS_tgkill, me_sys_getpid(), me_sys_gettid(), sig);
    uint64_t m = ME_SIGBIT(sig);
    me_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, &m, NULL, sizeof m);
    for (;;) /* not reached: the default action of sig terminates */
        me_sys(SYS_exit_group, 128 + sig);
}
