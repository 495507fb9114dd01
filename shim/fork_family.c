/* fork and friends. Ownership of exit functions is by pid (registry), and
 * the pid cache is wiped by the kernel in every forked child, so fork,
 * _Fork, forkpty, raw clone and syscall(SYS_fork) need no hook to be right.
 * What is left here:
 *   - daemon(): the same program goes on in the child, so the child takes
 *     over the parent's private exit functions (the parent _exits at once);
 *   - in the child of fork, daemon and forkpty: refill the wiped pid cache
 *     at once (a vfork child of that child would otherwise fill the shared
 *     page with its own pid), and the optional "children ignore SIGINT"
 *     (MULTIEXIT_CHILD_SIGINT=ignore). By wrapping the calls, not with
 *     pthread_atfork: its first registration initialises malloc, which costs
 *     every process some 70 KB of memory;
 *   - exit() in a vfork child, which shares its parent's memory: walking
 *     glibc's list there would run (and free) the parent's entries. */
#include "internal.h"
#include "sys.h"

#include <pty.h>
#include <string.h>
#include <unistd.h>

#include "../registry/exitfns.h"

ME_EXPORT pid_t fork(void)
{
    me_ensure_init();
    pid_t p = me_real.fork();
    if (p == 0)
        me_fork_child();
    return p;
}

ME_EXPORT pid_t __fork(void) __THROW __attribute__((alias("fork")));

ME_EXPORT int forkpty(int *amaster, char *name, const struct termios *termp,
                      const struct winsize *winp)
{
    me_ensure_init();
    int p = ME_REAL_LAZY(int (*)(int *, char *, const struct termios *, const struct winsize *),
                         "forkpty")(amaster, name, termp, winp);
    if (p == 0)
        me_fork_child();
    return p;
}

ME_EXPORT int daemon(int nochdir, int noclose)
{
    me_ensure_init();
    pid_t parent = me_pid();
    int r = ME_REAL_LAZY(int (*)(int, int), "daemon")(nochdir, noclose);
    if (r == 0) {
        me_fork_child();
        me_exitfns_transfer(parent, me_pid());
    }
    return r;
}

void me_fork_child(void)
{
    me_pid(); /* refill the wiped cache now, before a vfork could share it */
    if (me_cfg.child_ignore_int && me_is_managed(SIGINT)) {
        struct sigaction ign;
        memset(&ign, 0, sizeof ign);
        ign.sa_handler = SIG_IGN;
        me_sigaction(SIGINT, &ign, NULL);
    }
}

void me_vfork_child_exit(int status)
{
    me_exitfns_run_shared(me_sys_getpid(), status);
    for (;;)
        me_sys(SYS_exit_group, status);
}
