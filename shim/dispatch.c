/* The one kernel-level handler of every managed signal. Runs the chain as it
 * stood on arrival, newest first, each handler with its own calling
 * convention and mask; then either returns (the program handles the signal)
 * or, if the program's disposition was SIG_DFL and the default action
 * terminates, starts the exit path. No lock, no allocation. */
#include "internal.h"
#include "sys.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "../registry/sigchain.h"

/* glibc's own signals (cancellation, setxid) must never be blocked. */
#define LIBC_PRIVATE (ME_SIGBIT(32) | ME_SIGBIT(33))

static void set_mask(uint64_t m)
{
    me_sys(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, sizeof m);
}

void me_dispatch(int sig, siginfo_t *info, void *uc)
{
    int saved_errno = errno;
    struct me_chain_view v;
    me_chain_read(sig, &v);

    bool dfl = v.disp.fn == (void *)SIG_DFL;
    bool terminates = dfl && me_default_terminates(sig);
    if (me_exit_intercept(sig, info, uc, terminates)) {
        errno = saved_errno;
        return;
    }

    uint64_t interrupted;
    memcpy(&interrupted, &((ucontext_t *)uc)->uc_sigmask, sizeof interrupted);
    bool knodefer;
    uint64_t in_effect = interrupted | me_kernel_mask(sig, &knodefer);
    if (!knodefer)
        in_effect |= ME_SIGBIT(sig);

    for (unsigned i = v.n; i-- > 0;) {
        const struct me_handler *h = &v.h[i];
        if (h->flags & SA_RESETHAND) {
            /* the kernel resets before calling; so do we */
            me_chain_reset_once(sig, h->fn);
            me_kernel_sync(sig);
        }
        uint64_t want = interrupted | h->mask;
        if (!(h->flags & SA_NODEFER))
            want |= ME_SIGBIT(sig);
        want &= ~LIBC_PRIVATE;
        if (want != (in_effect & ~LIBC_PRIVATE)) {
            set_mask(want);
            in_effect = want;
        }
        me_running_push(sig, h->fn, __builtin_frame_address(0));
        if (h->flags & SA_SIGINFO)
            ((void (*)(int, siginfo_t *, void *))h->fn)(sig, info, uc);
        else
            ((void (*)(int))h->fn)(sig);
        me_running_pop();
    }

    if (terminates)
        me_exit_from_signal(sig, info, uc);
    errno = saved_errno;
}
