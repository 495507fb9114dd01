/* SPDX-License-Identifier: MIT */
/* sigaction and the functions glibc builds on its internal __sigaction
 * (signal, bsd_signal, ssignal, sysv_signal, sigset, sigignore,
 * siginterrupt, abort). sigaction of an unmanaged signal goes straight to
 * libc; a managed one reads and writes the program's view in
 * registry/sigchain. The others are built here on top of that, for every
 * signal, exactly as glibc 2.36 builds them on __sigaction: signal =
 * SA_RESTART (unless siginterrupt) with the signal in its mask;
 * sysv_signal = SA_RESETHAND|SA_NODEFER; sigset/sigignore = 0. So all of
 * them agree with each other whether or not the signal is managed. */
#include "signal_family.h"
#include "sys.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../registry/sigchain.h"
#include "export.h"
#include "init.h"
#include "kernel_disp.h"
#include "component.h"
#include "log.h"
#include "process.h"
#include "real.h"
#include "running.h"
#include "settings.h"
#include "placement.h"
#include "interp/python.h"

static _Atomic uint64_t sigintr; /* siginterrupt(sig, 1), as glibc's _sigintr */
static atomic_bool overflow_warned;

static void from_act(int sig, const struct sigaction *act, const void *caller,
                     struct me_handler *h)
{
    memset(h, 0, sizeof *h);
    h->fn = (void *)act->sa_handler;
    h->flags = me_kernel_kept_flags(sig, (uint32_t)act->sa_flags) | ME_SA_RESTORER;
    memcpy(&h->mask, &act->sa_mask, sizeof h->mask);
    h->mask &= ~(ME_SIGBIT(SIGKILL) | ME_SIGBIT(SIGSTOP));
    h->owner = me_self_id();
    if (h->fn != (void *)SIG_DFL && h->fn != (void *)SIG_IGN)
        me_component_of(h, caller);
}

static void to_act(const struct me_handler *h, struct sigaction *old)
{
    memset(old, 0, sizeof *old);
    old->sa_handler = (__sighandler_t)h->fn;
    old->sa_flags = (int)h->flags;
    memcpy(&old->sa_mask, &h->mask, sizeof h->mask);
    if (h->flags & ME_SA_RESTORER)
        old->sa_restorer = (void (*)(void))me_kernel_restorer();
}

/* True when sig's handler chain can be changed: its memory is mapped on
 * the first change. If the kernel refuses it, sig is handed back to libc
 * (the kernel gets the program's disposition) and the caller goes on as
 * without the shim. */
static bool chain_memory(int sig)
{
    if (me_kernel_chains_ready())
        return true;
    me_set_managed(atomic_load(&me_managed) & ~ME_SIGBIT(sig));
    me_log("no memory for %S's handlers: left to libc, exit functions will not run on it", sig);
    return false;
}

/* A managed signal's change or query. old_is_read: the call is sigaction
 * itself, whose caller reads what old returns (signal() & co return the
 * previous handler too, but almost every program ignores it): its component
 * then takes the signal over with its next install (SEMANTICS section 2). */
static int change(int sig, const struct sigaction *act, struct sigaction *old, const void *caller,
                  bool old_is_read)
{
    struct me_handler prev;
    if (!act) {
        if (old) {
            uint64_t set_gen; /* what the caller reads now is a look at this one */
            me_chain_disposition(sig, &prev, &set_gen);
            to_act(&prev, old);
            if (old_is_read && caller && !me_in_vfork_child() &&
                (me_chain_has_memory() || ((prev.fn != (void *)SIG_DFL &&
                                            prev.fn != (void *)SIG_IGN) && chain_memory(sig))))
                me_chain_note_read(sig, me_component_calling(caller), set_gen);
        }
        return 0;
    }
    /* A vfork child shares our memory but not our kernel dispositions
     * (Python's subprocess resets every handled signal to SIG_DFL there
     * before exec): it changes its own kernel state only, never the
     * parent's view. */
    if (me_in_vfork_child()) {
        me_chain_disposition(sig, &prev, NULL);
        if (me_real.sigaction_fn(sig, act, NULL) != 0)
            return -1;
        if (old)
            to_act(&prev, old);
        return 0;
    }
    if (!chain_memory(sig))
        return me_real.sigaction_fn(sig, act, old);
    me_kernel_fork_check();
    struct me_handler nh;
    bool overflowed;
    from_act(sig, act, caller, &nh); /* read fully before old (may alias act) is written */
    uintptr_t here = (uintptr_t)__builtin_frame_address(0); /* compared as a number */
    bool looked = old_is_read && old;
    struct me_install how = {
        me_handler_running(sig, nh.fn, here) ? ME_INSTALL_INSIDE : ME_INSTALL_OUTSIDE,
        nh.owner, me_cfg.chain, looked, looked || !caller ? 0 : me_component_calling(caller)};
    me_chain_install(sig, &nh, &how, &prev, &overflowed);
    me_count_install();
    me_kernel_sync(sig);
    if (overflowed && !atomic_exchange(&overflow_warned, true))
        me_log("more than %d handlers for %S: the newest is overwritten", ME_CHAIN_CAP, sig);
    if (old)
        to_act(&prev, old);
    return 0;
}

int me_sigaction(int sig, const struct sigaction *act, struct sigaction *old, const void *caller)
{
    return change(sig, act, old, caller, false);
}

void me_chains_transfer(uint32_t from, uint32_t to)
{
    for (me_sigmask m = atomic_load(&me_managed); m; m &= m - 1)
        me_chain_transfer(__builtin_ctzll(m) + 1, from, to);
}

ME_WARM ME_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    me_ensure_init();
    if (!me_is_managed(sig))
        return me_real.sigaction_fn(sig, act, old);
    me_python_on_sigaction();
    return change(sig, act, old, __builtin_return_address(0), true);
}

/* Aliases, not calls: a call to an exported name from inside the library
 * would go through the PLT. */
ME_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
    __THROW __attribute__((alias("sigaction")));

/* sigaction for any signal: the program's view when managed, libc's if not. */
ME_WARM static int any_sigaction(int sig, const struct sigaction *act, struct sigaction *old,
                         const void *caller)
{
    if (!me_is_managed(sig))
        return me_real.sigaction_fn(sig, act, old);
    return me_sigaction(sig, act, old, caller);
}

ME_WARM static __sighandler_t install_simple(int sig, __sighandler_t h, int flags, bool self_in_mask,
                                     const void *caller)
{
    struct sigaction a, o;
    if (h == SIG_ERR || sig < 1 || sig > ME_MAXSIG) {
        errno = EINVAL;
        return SIG_ERR;
    }
    memset(&a, 0, sizeof a);
    a.sa_handler = h;
    uint64_t mask = self_in_mask ? ME_SIGBIT(sig) : 0; /* sigemptyset, sigaddset */
    memcpy(&a.sa_mask, &mask, sizeof mask);
    a.sa_flags = flags;
    if (any_sigaction(sig, &a, &o, caller) != 0)
        return SIG_ERR; /* errno from libc: EINVAL for KILL, STOP, 32, 33 */
    return o.sa_handler;
}

ME_WARM ME_EXPORT __sighandler_t signal(int sig, __sighandler_t h)
{
    me_ensure_init();
    bool intr = atomic_load(&sigintr) & ME_SIGBIT(sig);
    return install_simple(sig, h, intr ? 0 : SA_RESTART, true, __builtin_return_address(0));
}

ME_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t h) __THROW __attribute__((alias("signal")));
ME_EXPORT __sighandler_t ssignal(int sig, __sighandler_t h) __THROW __attribute__((alias("signal")));

ME_WARM ME_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t h)
{
    me_ensure_init();
    return install_simple(sig, h, (int)(SA_RESETHAND | SA_NODEFER), false,
                          __builtin_return_address(0));
}

ME_EXPORT __sighandler_t __sysv_signal(int sig, __sighandler_t h)
    __THROW __attribute__((alias("sysv_signal")));

static int block_op(int how, int sig, uint64_t *old)
{
    uint64_t m = ME_SIGBIT(sig);
    long r = me_sys(SYS_rt_sigprocmask, how, &m, old, sizeof m);
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    return 0;
}

ME_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
    me_ensure_init();
    uint64_t oldmask = 0; /* filled by the kernel */
    /* glibc never blocks its own signals (cancellation, setxid): blocking
     * them hangs pthread_cancel and setuid; it fails with EINVAL instead */
    if (sig < 1 || sig > ME_MAXSIG || sig == 32 || sig == 33) {
        errno = EINVAL;
        return SIG_ERR;
    }
    if (disp == SIG_HOLD) {
        if (block_op(SIG_BLOCK, sig, &oldmask) != 0)
            return SIG_ERR;
        if (oldmask & ME_SIGBIT(sig))
            return SIG_HOLD;
        struct sigaction cur;
        if (any_sigaction(sig, NULL, &cur, NULL) != 0)
            return SIG_ERR;
        return cur.sa_handler;
    }
    __sighandler_t prev = install_simple(sig, disp, 0, false, __builtin_return_address(0));
    if (prev == SIG_ERR || block_op(SIG_UNBLOCK, sig, &oldmask) != 0)
        return SIG_ERR;
    return (oldmask & ME_SIGBIT(sig)) ? SIG_HOLD : prev;
}

ME_EXPORT int sigignore(int sig)
{
    me_ensure_init();
    return install_simple(sig, SIG_IGN, 0, false, NULL) == SIG_ERR ? -1 : 0;
}

ME_EXPORT int siginterrupt(int sig, int interrupt)
{
    me_ensure_init();
    if (sig < 1 || sig > ME_MAXSIG) {
        errno = EINVAL;
        return -1;
    }
    bool vfork_child = me_in_vfork_child(); /* shares our memory: kernel only */
    if (!me_is_managed(sig) || vfork_child || !chain_memory(sig)) {
        /* glibc: read the disposition, toggle SA_RESTART, write it back */
        struct sigaction a;
        if (me_real.sigaction_fn(sig, NULL, &a) != 0)
            return -1;
        if (!vfork_child) {
            if (interrupt)
                atomic_fetch_or(&sigintr, ME_SIGBIT(sig));
            else
                atomic_fetch_and(&sigintr, ~ME_SIGBIT(sig));
        }
        if (interrupt)
            a.sa_flags &= ~SA_RESTART;
        else
            a.sa_flags |= SA_RESTART;
        return me_real.sigaction_fn(sig, &a, NULL);
    }
    if (interrupt) {
        atomic_fetch_or(&sigintr, ME_SIGBIT(sig));
        me_chain_set_disp_flags(sig, 0, SA_RESTART, NULL);
    } else {
        atomic_fetch_and(&sigintr, ~ME_SIGBIT(sig));
        me_chain_set_disp_flags(sig, SA_RESTART, 0, NULL);
    }
    me_kernel_sync(sig);
    return 0;
}

/* glibc's abort() raises SIGABRT, and if a handler returns, resets it to
 * SIG_DFL through its internal __sigaction and raises again. With SIGABRT
 * managed, do the same through the program's view so the second raise takes
 * the exit path and the process still dies by SIGABRT. */
ME_EXPORT void abort(void)
{
    me_ensure_init();
    if (me_is_managed(SIGABRT)) {
        block_op(SIG_UNBLOCK, SIGABRT, NULL);
        raise(SIGABRT);
        install_simple(SIGABRT, SIG_DFL, 0, false, NULL);
        raise(SIGABRT);
    }
    ME_REAL(abort_fn)();
}
