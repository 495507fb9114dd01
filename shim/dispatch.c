/* SPDX-License-Identifier: MIT */
/* The one kernel-level handler of every managed signal. Runs the chain as it
 * stood on arrival, newest first, each handler with its own calling
 * convention and mask; then either returns (the program handles the signal)
 * or, if the program's disposition was SIG_DFL, does what the default
 * action would: the exit path for one that terminates, a stop for one that
 * stops. No lock, no allocation, and little stack: the chain is read in
 * place, not copied, so a handler that fits an alternate stack without the
 * shim fits it with the shim. errno: each handler finds it as the previous
 * one (or the interrupted code) left it, and the program finds it as the
 * last handler left it; the shim's own work leaves no trace in it.
 * Each handler runs on the stack its own flags ask for: the kernel delivers
 * on the alternate stack only when every handler to run asks for it
 * (kernel_disp.c), and a handler with SA_ONSTACK is moved there when the
 * delivery is not on it already (Go's runtime aborts off its signal stack). */
#include "dispatch.h"
#include "sys.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "../registry/sigchain.h"
#include "component.h"
#include "exit_path.h"
#include "kernel_disp.h"
#include "real.h"
#include "running.h"
#include "interp/python.h"
#include "placement.h"

/* glibc's own signals (cancellation, setxid) must never be blocked. */
#define LIBC_PRIVATE (ME_SIGBIT(32) | ME_SIGBIT(33))

static void set_mask(uint64_t m)
{
    me_sys(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, sizeof m);
}

/* Where an SA_ONSTACK handler runs: the top of this thread's alternate
 * stack when there is one and it is not in use (the dispatcher is not on
 * it), else NULL: right here, as the kernel would (out of line: its
 * stack_t stays off the frame a handler runs on). */
static __attribute__((noinline)) void *alternate_stack_top(void)
{
#if ME_ARCH_STACK_SWITCH
    stack_t ss = {.ss_flags = SS_DISABLE}; /* as if none, should the call fail */
    if (me_sys(SYS_sigaltstack, NULL, &ss) != 0 || (ss.ss_flags & (SS_DISABLE | SS_ONSTACK)))
        return NULL;
    return (void *)(((uintptr_t)ss.ss_sp + ss.ss_size) & ~(uintptr_t)15);
#else
    return NULL;
#endif
}

/* A disposition whose handler was unloaded (dlclose) is SIG_DFL: without
 * the shim the program would jump into unmapped code. */
ME_SIGNAL static bool is_default(const struct me_handler *disp)
{
    return disp->fn == (void *)SIG_DFL ||
           (disp->fn != (void *)SIG_IGN && !me_component_loaded(disp));
}

/* The default action of a stop signal, as the kernel would take it: stop
 * here, by sig itself (a parent's waitpid sees WSTOPSIG == sig), and go on
 * after SIGCONT with the dispatcher installed again. */
static __attribute__((noinline)) void stop_by(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    me_real.sigaction_fn(sig, &dfl, NULL);
    uint64_t m = ME_SIGBIT(sig);
    me_sys(SYS_tgkill, me_sys_getpid(), me_sys_gettid(), sig);
    me_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, &m, NULL, sizeof m); /* stops here */
    me_kernel_resync(sig);
}

/* Runs the chain's first n handlers newest first (inlined: one frame
 * under the handlers, not two). False when a handler took the signal over
 * (changed its disposition to something other than itself: the re-raise
 * idiom), which ends the delivery. *err carries errno between handlers. */
static inline __attribute__((always_inline)) bool run_chain(int sig, siginfo_t *info, void *uc,
                                                            const struct me_chain_pin *p,
                                                            unsigned n, int *err)
{
    uint64_t interrupted;
    memcpy(&interrupted, &((ucontext_t *)uc)->uc_sigmask, sizeof interrupted);
    bool knodefer;
    uint64_t in_effect = interrupted | me_kernel_mask(sig, &knodefer);
    if (!knodefer)
        in_effect |= ME_SIGBIT(sig);

    void *disp = p->disp->fn; /* as this delivery knows it */
    for (unsigned i = n; i-- > 0;) {
        const struct me_handler *h = &p->h[i];
        if (!me_component_loaded(h))
            continue; /* its library was unloaded */
        if (h->flags & SA_RESETHAND) {
            /* the kernel resets before calling; so do we */
            me_chain_reset_once(sig, h->fn);
            me_kernel_sync(sig);
            disp = me_chain_disp_fn(sig);
        }
        uint64_t want = interrupted | h->mask;
        if (!(h->flags & SA_NODEFER))
            want |= ME_SIGBIT(sig);
        want &= ~LIBC_PRIVATE;
        if (want != (in_effect & ~LIBC_PRIVATE)) {
            set_mask(want);
            in_effect = want;
        }
        unsigned long installs = me_installs_by_this_thread();
        void *top = (h->flags & SA_ONSTACK) ? alternate_stack_top() : NULL;
        /* the record's frame is on the stack the handler runs on */
        me_running_push(sig, h->fn, top ? top : __builtin_frame_address(0));
        errno = *err;
#if ME_ARCH_STACK_SWITCH
        if (top)
            me_call_on_stack(top, h->fn, sig, info, uc);
        else
#endif
        if (h->flags & SA_SIGINFO)
            ((void (*)(int, siginfo_t *, void *))h->fn)(sig, info, uc);
        else
            ((void (*)(int))h->fn)(sig);
        *err = errno;
        me_running_pop();
        if (me_installs_by_this_thread() != installs) {
            void *now = me_chain_disp_fn(sig);
            if (now != disp && now != h->fn)
                return false;
            disp = now;
        }
    }
    return true;
}

/* The whole delivery: off the signal page (the program handles this
 * signal; its handlers' own code is elsewhere too). */
static __attribute__((noinline)) void me_dispatch_chain(int sig, siginfo_t *info, void *uc)
{
    /* errno is kept for the handlers and restored after them; not read on
     * the way straight to the exit (the shim's own paths there make raw
     * system calls, which leave it alone): a process's first call of
     * __errno_location is a lazy binding, a thousand instructions */
    int err = 0;
    struct me_chain_pin p;
    me_chain_pin(sig, (uintptr_t)__builtin_frame_address(0), &p);

    bool dfl = is_default(p.disp);
    bool terminates = dfl && me_default_terminates(sig);
    if (me_exit_intercept(sig, info, uc, terminates)) {
        me_chain_unpin(&p);
        return;
    }
    /* Raised again by a handler of this chain that is still running (Go's
     * runtime re-raises to forward to the handler it read): the newer
     * handlers have had this signal; it goes to that one and the older. */
    unsigned n = p.n;
    void *outer = me_running_innermost(sig, (uintptr_t)__builtin_frame_address(0));
    for (unsigned i = n; outer && i-- > 0;)
        if (p.h[i].fn == outer) {
            n = i + 1;
            break;
        }
    bool keep_errno = n > 0 || !terminates || me_python_takes(sig);
    if (keep_errno)
        err = errno;
    bool ran_all = run_chain(sig, info, uc, &p, n, &err);
    bool chained = p.n > 0;
    me_chain_unpin(&p);
    if (me_python_takes(sig))
        me_python_delivered(sig);

    if (ran_all && terminates)
        me_exit_from_signal(sig, info, uc);
    else if (ran_all && dfl && chained && me_default_stops(sig))
        stop_by(sig);
    if (keep_errno)
        errno = err;
}

/* The default action of a terminating signal with no handler to run and
 * no exit under way: what a SIGTERM to a program that never handles it
 * takes, straight to the exit path. False: the chain decides. */
ME_SIGNAL static __attribute__((noinline)) bool straight_to_exit(int sig, siginfo_t *info,
                                                                 void *uc)
{
    struct me_chain_pin p;
    me_chain_pin(sig, (uintptr_t)__builtin_frame_address(0), &p);
    bool straight = p.n == 0 && is_default(p.disp) && me_default_terminates(sig) &&
                    !me_python_takes(sig) && !me_exit_in_progress();
    me_chain_unpin(&p);
    if (straight)
        me_exit_from_signal(sig, info, uc);
    return straight;
}

/* The kernel-level handler. Its own frame is gone (a tail call) before
 * the chain runs: a handler on an alternate stack finds it as deep as
 * the dispatcher alone makes it. */
ME_SIGNAL void me_dispatch(int sig, siginfo_t *info, void *uc)
{
    if (!straight_to_exit(sig, info, uc))
        me_dispatch_chain(sig, info, uc);
}
