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
    uint64_t m = ME_SIGBIT(sig);
    me_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, &m, NULL, sizeof m);
    me_sys(SYS_tgkill, me_sys_getpid(), me_sys_gettid(), sig);
    for (;;) /* not reached: the default action of sig terminates */
        me_sys(SYS_exit_group, 128 + sig);
}
