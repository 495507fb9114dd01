/* The kernel-level disposition of each managed signal, derived from the
 * program's view: SIG_IGN is real SIG_IGN (so exec inherits it); a default
 * that ignores or stops with nothing chained is real SIG_DFL (the shim is
 * invisible there); everything else is the dispatcher, with SA_RESTART,
 * SA_NODEFER and the mask of the program's current disposition so that a
 * blocking read() returns EINTR exactly when it would without the shim. */
#include "internal.h"

#include <stdatomic.h>
#include <string.h>

#include "../registry/sigchain.h"
#include "sys.h"

#include <stdint.h>

enum kkind { K_DISPATCH, K_IGN, K_DFL };

struct kkey {
    enum kkind kind;
    uint32_t flags;
    uint64_t mask;
};

struct kstate {
    _Atomic uintptr_t owner; /* the syncing thread's token, 0 = free */
    uintptr_t mark;          /* its stack address */
    bool valid;
    struct kkey applied;
};
/* As the chains' heads (registry/sigchain.h): the signals programs manage
 * in .bss, the others mapped when one of them is first managed. */
static struct kstate kst_lo[ME_HOT_SIGS];
static struct kstate (*_Atomic kst_hi)[ME_CHAIN_NSIG - ME_HOT_SIGS];

/* NULL only for a signal from ME_HOT_SIGS up before any of them was
 * managed (me_kernel_ready) */
static struct kstate *ks(int sig)
{
    if (sig < ME_HOT_SIGS)
        return &kst_lo[sig];
    struct kstate(*hi)[ME_CHAIN_NSIG - ME_HOT_SIGS] = atomic_load(&kst_hi);
    return hi ? &(*hi)[sig - ME_HOT_SIGS] : NULL;
}

/* The memory a signal needs before it can be managed; false if the kernel
 * refuses it (the signal is then left to libc). */
static bool me_kernel_ready(int sig)
{
    return sig < ME_HOT_SIGS ||
           (me_chain_ready() && me_map_once((void *_Atomic *)&kst_hi, sizeof *kst_hi, 0));
}

/* A per-thread token: the address of a thread-local variable. */
static __thread char thread_token __attribute__((tls_model("initial-exec")));

#define PASS_FLAGS (SA_RESTART | SA_NODEFER | SA_NOCLDSTOP | SA_NOCLDWAIT)

static uint64_t desired(int sig, struct kkey *k)
{
    struct me_chain_view v;
    me_chain_read(sig, &v);
    memset(k, 0, sizeof *k);
    if (v.disp.fn == (void *)SIG_IGN) {
        k->kind = K_IGN;
        return v.gen;
    }
    if (v.disp.fn == (void *)SIG_DFL && v.n == 0 && !me_default_terminates(sig)) {
        k->kind = K_DFL;
        return v.gen;
    }
    k->kind = K_DISPATCH;
    k->flags = SA_SIGINFO;
    if (v.disp.fn == (void *)SIG_DFL) {
        k->flags |= SA_RESTART;
    } else {
        k->flags |= v.disp.flags & PASS_FLAGS;
        k->mask = v.disp.mask;
    }
    for (unsigned i = 0; i < v.n; i++)
        if (v.h[i].flags & SA_ONSTACK)
            k->flags |= SA_ONSTACK;
    return v.gen;
}

static void apply(int sig, const struct kkey *k)
{
    struct sigaction ka;
    memset(&ka, 0, sizeof ka);
    if (k->kind == K_IGN) {
        ka.sa_handler = SIG_IGN;
    } else if (k->kind == K_DFL) {
        ka.sa_handler = SIG_DFL;
    } else {
        ka.sa_sigaction = me_dispatch;
        ka.sa_flags = (int)k->flags;
        memcpy(&ka.sa_mask, &k->mask, sizeof k->mask);
    }
    me_real.sigaction(sig, &ka, NULL);
}

/* What the kernel blocked on entry to the dispatcher, besides the
 * interrupted mask. Racy against a concurrent install; used only to skip a
 * redundant sigprocmask. */
uint64_t me_kernel_mask(int sig, bool *nodefer)
{
    const struct kstate *k = ks(sig);
    *nodefer = k->applied.flags & SA_NODEFER;
    return k->applied.mask;
}

/* True when this thread may apply now. Whoever else holds it (another
 * thread, or the code this handler interrupted) re-checks the generation
 * after releasing it; a holder that a handler jumped out of is taken over. */
static bool sync_acquire(int sig, uintptr_t here)
{
    uintptr_t self = (uintptr_t)&thread_token, seen = 0;
    struct kstate *k = ks(sig);
    if (atomic_compare_exchange_strong(&k->owner, &seen, self)) {
        k->mark = here;
        return true;
    }
    if (seen != self || !me_chain_mark_abandoned(k->mark, here))
        return false;
    k->mark = here;
    return true;
}

static bool same_key(const struct kkey *a, const struct kkey *b)
{
    return a->kind == b->kind && a->flags == b->flags && a->mask == b->mask;
}

void me_kernel_sync(int sig)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0); /* compared as a number */
    struct kstate *st = ks(sig);
    for (;;) {
        if (!sync_acquire(sig, here))
            return;
        struct kkey k;
        uint64_t gen = desired(sig, &k);
        if (!st->valid || !same_key(&k, &st->applied)) {
            apply(sig, &k);
            st->applied = k;
            st->valid = true;
        }
        atomic_store(&st->owner, 0);
        struct me_handler d;
        uint64_t now;
        me_chain_disposition(sig, &d, &now);
        if (now == gen)
            return;
    }
}

/* The kernel's disposition. A raw query on x86-64 (where the kernel's
 * struct is known): this runs for each managed signal at every start. */
static int query(int sig, struct me_handler *h, void **restorer)
{
#if defined(__x86_64__)
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        uint64_t mask;
    } k = {0}; /* filled by the kernel (the analyser cannot see that) */
    if (me_sys(SYS_rt_sigaction, sig, 0, &k, sizeof k.mask) != 0)
        return -1;
    h->fn = k.handler;
    h->flags = (uint32_t)k.flags;
    h->mask = k.mask;
    *restorer = k.restorer;
#else
    struct sigaction cur;
    if (me_real.sigaction(sig, NULL, &cur) != 0)
        return -1;
    h->fn = (void *)cur.sa_handler;
    h->flags = (uint32_t)cur.sa_flags;
    memcpy(&h->mask, &cur.sa_mask, sizeof h->mask);
    *restorer = (void *)cur.sa_restorer;
#endif
    return 0;
}

bool me_kernel_take_over(int sig)
{
    struct me_handler init;
    void *restorer;
    if (!me_kernel_ready(sig) || query(sig, &init, &restorer) != 0)
        return false;
    if (restorer && !me_restorer)
        me_restorer = restorer;
    me_chain_set_initial(sig, &init);
    ks(sig)->valid = false;
    me_kernel_sync(sig);
    return true;
}

/* glibc's signal-return trampoline, as the kernel reports it in
 * sa_restorer: learnt from the first handler glibc installed for us, when
 * the program first asks (not at start-up, where it would cost a query). */
void *me_kernel_restorer(void)
{
    for (int sig = 1; !me_restorer && sig < ME_CHAIN_NSIG; sig++) {
        struct me_handler h;
        void *restorer;
        const struct kstate *k = ks(sig);
        if (k && k->valid && k->applied.kind == K_DISPATCH &&
            query(sig, &h, &restorer) == 0 && h.fn == (void *)me_dispatch)
            me_restorer = restorer;
    }
    return me_restorer;
}

/* Hands a signal back to libc: the kernel gets the program's disposition
 * (the newest handler wins again, as without the shim). */
static void release(int sig)
{
    struct me_handler d;
    struct sigaction ka;
    me_chain_disposition(sig, &d, NULL);
    memset(&ka, 0, sizeof ka);
    ka.sa_handler = (__sighandler_t)d.fn;
    ka.sa_flags = (int)(d.flags & ~(uint32_t)0x04000000u);
    memcpy(&ka.sa_mask, &d.mask, sizeof d.mask);
    me_real.sigaction(sig, &ka, NULL);
}

/* Changing the set at run time is meant for start-up (multiexit_set_signals
 * before the program installs handlers); it does not race with installs. */
void me_set_managed(me_sigmask want)
{
    me_sigmask old = atomic_load(&me_managed);
    for (int sig = 1; sig <= ME_MAXSIG; sig++) {
        me_sigmask bit = ME_SIGBIT(sig);
        if ((want & bit) && !(old & bit)) {
            if (me_kernel_take_over(sig))
                atomic_fetch_or(&me_managed, bit);
        } else if (!(want & bit) && (old & bit)) {
            atomic_fetch_and(&me_managed, ~bit);
            release(sig);
        }
    }
}
