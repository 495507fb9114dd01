/* SPDX-License-Identifier: MIT */
/* The kernel-level disposition of each managed signal, derived from the
 * program's view: SIG_IGN is real SIG_IGN (so exec inherits it); a default
 * that ignores or stops with nothing chained is real SIG_DFL (the shim is
 * invisible there, SIGCHLD's SA_NOCLDWAIT included); everything else is the
 * dispatcher, with the flags (SA_RESTART, SA_NODEFER, SA_ONSTACK, SIGCHLD's)
 * and the mask of the program's current disposition, so that a blocking
 * read() returns EINTR exactly when it would without the shim; SA_ONSTACK
 * only when every chained handler that runs asks for it (dispatch.c moves
 * each one that does to the alternate stack). */
#include "kernel_disp.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "../registry/sigchain.h"
#include "component.h"
#include "mapping.h"
#include "process.h"
#include "real.h"
#include "sys.h"
#include "placement.h"

_Atomic me_sigmask me_managed;
static void (*dispatcher)(int, siginfo_t *, void *);
static void *restorer_seen; /* glibc's sa_restorer, as the kernel reports it */

ME_START void me_kernel_use_dispatcher(void (*dispatch)(int, siginfo_t *, void *)) { dispatcher = dispatch; }

/* The chains' large state (registry/sigchain.h), mapped the first time a
 * signal is managed or a chain changes; false if the kernel refuses. */
static void *_Atomic chains_memory;
bool me_kernel_chains_ready(void)
{
    void *m = me_map_once(&chains_memory, me_chain_memory_size(), 0);
    if (m)
        me_chain_use_memory(m);
    return m != NULL;
}

/* K_NONE: nothing applied yet, or forgotten (the kernel may hold anything) */
enum kkind { K_NONE, K_DISPATCH, K_IGN, K_DFL };

struct kkey {
    enum kkind kind;
    uint32_t flags;
    uint64_t mask;
};

struct kstate {
    _Atomic uintptr_t owner; /* the syncing thread's token, 0 = free */
    uintptr_t mark;          /* its stack address */
    struct kkey applied;     /* what the kernel holds, unless K_NONE */
};
/* As the chains' heads (registry/sigchain.h): the signals programs manage
 * in .bss, the others mapped when one of them is first managed. */
static struct kstate kst_lo[ME_HOT_SIGS];
static struct kstate (*_Atomic kst_hi)[ME_CHAIN_NSIG - ME_HOT_SIGS];

/* NULL only for a signal from ME_HOT_SIGS up before any of them was
 * managed (me_kernel_ready) */
ME_START static struct kstate *ks(int sig)
{
    if (sig < ME_HOT_SIGS)
        return &kst_lo[sig];
    struct kstate(*hi)[ME_CHAIN_NSIG - ME_HOT_SIGS] = atomic_load(&kst_hi);
    return hi ? &(*hi)[sig - ME_HOT_SIGS] : NULL;
}

/* The memory a signal needs before it can be managed; false if the kernel
 * refuses it (the signal is then left to libc). */
ME_START static bool me_kernel_ready(int sig)
{
    return sig < ME_HOT_SIGS ||
           (me_kernel_chains_ready() && me_map_once((void *_Atomic *)&kst_hi, sizeof *kst_hi, 0));
}

__thread char me_thread_token_ __attribute__((tls_model("initial-exec"), visibility("hidden")));

#define CHLD_FLAGS (SA_NOCLDSTOP | SA_NOCLDWAIT)
#define PASS_FLAGS (SA_RESTART | SA_NODEFER | SA_ONSTACK | CHLD_FLAGS)

/* Read in place (no copy of the chain: this runs in the dispatcher). */
ME_START static void desired(int sig, struct kkey *k)
{
    struct me_chain_pin p;
    me_chain_pin(sig, (uintptr_t)__builtin_frame_address(0), &p);
    memset(k, 0, sizeof *k);
    if (p.disp->fn == (void *)SIG_IGN) {
        k->kind = K_IGN;
    } else if (p.disp->fn == (void *)SIG_DFL && p.n == 0 && !me_default_terminates(sig)) {
        k->kind = K_DFL;
        k->flags = p.disp->flags & CHLD_FLAGS;
    } else {
        k->kind = K_DISPATCH;
        k->flags = SA_SIGINFO;
        if (p.disp->fn == (void *)SIG_DFL) {
            k->flags |= SA_RESTART | (p.disp->flags & CHLD_FLAGS);
        } else {
            k->flags |= p.disp->flags & PASS_FLAGS;
            k->mask = p.disp->mask;
        }
        /* The alternate stack only when every handler to run asks for it:
         * the dispatcher moves those that do there, but never one that
         * does not back to the interrupted stack (a signal arriving then
         * would be delivered on top of the frames still in use). */
        for (unsigned i = 0; i < p.n; i++)
            if (!(p.h[i].flags & SA_ONSTACK))
                k->flags &= ~(uint32_t)SA_ONSTACK;
    }
    me_chain_unpin(&p);
}

ME_START static void apply(int sig, const struct kkey *k)
{
    struct sigaction ka;
    memset(&ka, 0, sizeof ka);
    if (k->kind == K_IGN) {
        ka.sa_handler = SIG_IGN;
    } else if (k->kind == K_DFL) {
        ka.sa_handler = SIG_DFL;
        ka.sa_flags = (int)k->flags;
    } else {
        ka.sa_sigaction = dispatcher;
        ka.sa_flags = (int)k->flags;
        memcpy(&ka.sa_mask, &k->mask, sizeof k->mask);
    }
    me_real.sigaction_fn(sig, &ka, NULL);
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
ME_START static bool sync_acquire(int sig, uintptr_t here)
{
    uintptr_t self = me_thread_token(), seen = 0;
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

ME_START static bool same_key(const struct kkey *a, const struct kkey *b)
{
    return a->kind == b->kind && a->flags == b->flags && a->mask == b->mask;
}

ME_START void me_kernel_sync(int sig)
{
    uintptr_t here = (uintptr_t)__builtin_frame_address(0); /* compared as a number */
    struct kstate *st = ks(sig);
    for (;;) {
        if (!sync_acquire(sig, here))
            return;
        struct kkey k;
        uint64_t changes = me_chain_changes(sig);
        desired(sig, &k);
        if (st->applied.kind == K_NONE || !same_key(&k, &st->applied)) {
            apply(sig, &k);
            st->applied = k;
        }
        atomic_store(&st->owner, 0);
        if (me_chain_changes(sig) == changes)
            return;
    }
}

void me_kernel_resync(int sig)
{
    ks(sig)->applied.kind = K_NONE;
    me_kernel_sync(sig);
}

/* Bits whose fate is known, and of those the ones the kernel keeps: the
 * flags every kernel keeps to start with; others are asked the first time
 * a program uses them. */
#define KNOWN_KEPT                                                                             \
    (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER |          \
     SA_RESETHAND | ME_SA_RESTORER)
static _Atomic uint32_t flags_known = KNOWN_KEPT, flags_kept = KNOWN_KEPT;

/* Sets sig's kernel disposition again with the unknown bits added, and
 * reads back what stayed (the disposition itself is unchanged). */
static uint32_t probe_kept(int sig, uint32_t bits)
{
    struct sigaction cur, probe, back;
    if (me_real.sigaction_fn(sig, NULL, &cur) != 0)
        return 0;
    probe = cur;
    probe.sa_flags |= (int)bits;
    if (me_real.sigaction_fn(sig, &probe, &back) != 0)
        return 0;
    me_real.sigaction_fn(sig, NULL, &back);
    me_real.sigaction_fn(sig, &cur, NULL);
    return (uint32_t)back.sa_flags & bits;
}

uint32_t me_kernel_kept_flags(int sig, uint32_t flags)
{
    uint32_t unknown = flags & ~atomic_load(&flags_known);
    if (unknown) {
        int saved = errno;
        atomic_fetch_or(&flags_kept, probe_kept(sig, unknown));
        atomic_fetch_or(&flags_known, unknown);
        errno = saved;
    }
    return flags & atomic_load(&flags_kept);
}

/* The process the chains' bookkeeping belongs to: a forked child finds
 * another pid here and forgets what other threads held at the fork. */
static _Atomic pid_t chains_pid;

void me_kernel_fork_check(void)
{
    pid_t now = me_pid(), was = atomic_load(&chains_pid); /* cached: no system call */
    if (was == now || !atomic_compare_exchange_strong(&chains_pid, &was, now) || was == 0)
        return;
    me_chain_after_fork();
    uintptr_t self = me_thread_token();
    for (int sig = 1; sig < ME_CHAIN_NSIG; sig++) {
        struct kstate *k = ks(sig);
        if (k && atomic_load(&k->owner) != self) {
            atomic_store(&k->owner, 0);
            k->applied.kind = K_NONE;
        }
    }
}

/* The kernel's disposition. A raw query where arch.h knows the kernel's
 * struct: this runs for each managed signal at every start. */
ME_START static int query(int sig, struct me_handler *h, void **restorer)
{
#ifdef ME_ARCH_KSIGACTION
    struct me_ksigaction k = {0}; /* filled by the kernel (the analyser cannot see that) */
    if (me_sys(SYS_rt_sigaction, sig, 0, &k, sizeof k.mask) != 0)
        return -1;
    h->fn = k.handler;
    h->flags = (uint32_t)k.flags;
    h->mask = k.mask;
    *restorer = k.restorer;
#else
    struct sigaction cur;
    if (me_real.sigaction_fn(sig, NULL, &cur) != 0)
        return -1;
    h->fn = (void *)cur.sa_handler;
    h->flags = (uint32_t)cur.sa_flags;
    memcpy(&h->mask, &cur.sa_mask, sizeof h->mask);
    *restorer = NULL;
#endif
    return 0;
}

ME_START bool me_kernel_take_over(int sig)
{
    struct me_handler init;
    void *restorer;
    if (!me_kernel_ready(sig) || query(sig, &init, &restorer) != 0)
        return false;
    if (restorer && !restorer_seen)
        restorer_seen = restorer;
    if (atomic_load(&chains_pid) == 0)
        atomic_store(&chains_pid, me_pid());
    init.owner = 0;
    init.comp = 0;
    if (init.fn != (void *)SIG_DFL && init.fn != (void *)SIG_IGN) {
        /* a handler already in the kernel: this process's own (the identity
         * is drawn only then: it costs a page) */
        init.owner = me_self_id();
        me_component_of(&init, NULL);
    }
    me_chain_set_initial(sig, &init);
    ks(sig)->applied.kind = K_NONE;
    me_kernel_sync(sig);
    return true;
}

/* glibc's signal-return trampoline, as the kernel reports it in
 * sa_restorer: learnt from the first handler glibc installed for us, when
 * the program first asks (not at start-up, where it would cost a query). */
void *me_kernel_restorer(void)
{
    for (int sig = 1; !restorer_seen && sig < ME_CHAIN_NSIG; sig++) {
        struct me_handler h;
        void *restorer;
        const struct kstate *k = ks(sig);
        if (k && k->applied.kind == K_DISPATCH &&
            query(sig, &h, &restorer) == 0 && h.fn == (void *)dispatcher)
            restorer_seen = restorer;
    }
    return restorer_seen;
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
    ka.sa_flags = (int)(d.flags & ~ME_SA_RESTORER);
    memcpy(&ka.sa_mask, &d.mask, sizeof d.mask);
    me_real.sigaction_fn(sig, &ka, NULL);
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
