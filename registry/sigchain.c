/* SPDX-License-Identifier: MIT */
#include "sigchain.h"

#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

/* ME_START, ME_WARM: placement in the shim's split layout
 * (shim/placement.h), defined by the build, empty without that layout. */
#define POOL 8 /* snapshots per signal: one current, the rest for writers and pinned readers */
#define READERS 4 /* components remembered per signal as having read its disposition */

struct snap {
    atomic_uint readers; /* readers copying this snapshot right now */
    atomic_uint building; /* a writer owns it while filling it */
    struct me_chain_view v;
};

struct slot {
    _Atomic(struct snap *) cur;
    struct me_handler initial; /* before the first install */
};

/* The heads of the signals programs manage are small and in .bss (see
 * ME_HOT_SIGS). The pools, and the heads of the other signals, are large:
 * they are mapped the first time anything is managed (me_chain_use_memory), not
 * made part of the library's .bss, which the loader maps for every process
 * as a mapping of its own that every fork then copies. */
static struct slot slots_lo[ME_HOT_SIGS];
struct cold {
    /* the signals whose pool a writer has used: the only ones a forked
     * child looks at (me_chain_after_fork) */
    atomic_bool pool_used[ME_CHAIN_NSIG];
    struct slot slots_hi[ME_CHAIN_NSIG - ME_HOT_SIGS];
    struct snap pools[ME_CHAIN_NSIG][POOL];
    /* me_chain_note_read: (component << 16 | set_gen's low 16 bits), 0 free */
    _Atomic uint64_t readers[ME_CHAIN_NSIG][READERS];
    atomic_uint readers_next[ME_CHAIN_NSIG];
};
static struct cold *_Atomic cold;

/* Handed over by the caller before anything is managed (see sigchain.h). */
ME_START static struct cold *cold_state(void) { return atomic_load_explicit(&cold, memory_order_acquire); }

size_t me_chain_memory_size(void) { return sizeof(struct cold); }

void me_chain_use_memory(void *zeroed)
{
    struct cold *none = NULL;
    atomic_compare_exchange_strong(&cold, &none, (struct cold *)zeroed);
}

bool me_chain_has_memory(void) { return cold_state() != NULL; }

/* What this thread holds right now: a pinned snapshot, a slot being built.
 * A handler that siglongjmps out of a sigaction it interrupted abandons
 * these; left alone they would exhaust the pool and the next sigaction would
 * spin for ever. A live operation is always at a higher stack address than
 * anything nested inside a handler on top of it, so on entry every record at
 * the same or a lower address belongs to an abandoned call: release it.
 * Initial-exec TLS: no allocation, safe in a signal handler. */
#define INFLIGHT_MAX 16
static __thread struct inflight {
    uintptr_t mark; /* stack address of the operation's frame */
    struct snap *pinned, *building;
} inflight[INFLIGHT_MAX] __attribute__((tls_model("initial-exec")));
static __thread unsigned n_inflight __attribute__((tls_model("initial-exec")));

/* Marks are comparable only on the same stack: a handler may run on a
 * sigaltstack anywhere in memory. From the alternate stack, a record on the
 * main stack is a live caller; from the main stack, a record on the
 * alternate stack can only be left over (no code runs on the main stack on
 * top of a handler running on the alternate one, except after a jump out). */
bool me_chain_mark_abandoned(uintptr_t rec, uintptr_t mark)
{
    stack_t ss;
    if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE)) {
        uintptr_t lo = (uintptr_t)ss.ss_sp, hi = lo + ss.ss_size;
        bool rec_alt = rec >= lo && rec < hi, cur_alt = mark >= lo && mark < hi;
        if (rec_alt != cur_alt)
            return rec_alt;
    }
    return rec <= mark;
}

ME_START static void release_record(unsigned i)
{
    if (i >= INFLIGHT_MAX)
        return;
    if (inflight[i].pinned)
        atomic_fetch_sub(&inflight[i].pinned->readers, 1);
    if (inflight[i].building)
        atomic_store(&inflight[i].building->building, 0);
    inflight[i].pinned = inflight[i].building = NULL;
}

ME_START static void reclaim_abandoned(uintptr_t mark)
{
    while (n_inflight > 0) {
        unsigned top = n_inflight - 1;
        if (top < INFLIGHT_MAX && !me_chain_mark_abandoned(inflight[top].mark, mark))
            break; /* a live caller below us on the stack */
        release_record(top);
        n_inflight--;
    }
}

ME_START static struct inflight *inflight_push(uintptr_t mark)
{
    reclaim_abandoned(mark);
    unsigned i = n_inflight++;
    if (i >= INFLIGHT_MAX)
        return NULL; /* too deep to track: not expected, only not reclaimable */
    inflight[i].mark = mark;
    inflight[i].pinned = inflight[i].building = NULL;
    return &inflight[i];
}

ME_START static void inflight_pop(void)
{
    if (n_inflight > 0)
        n_inflight--;
}

ME_START static struct slot *slot_of(int sig)
{
    return sig < ME_HOT_SIGS ? &slots_lo[sig] : &cold_state()->slots_hi[sig - ME_HOT_SIGS];
}

ME_START static struct snap *pin_current(struct slot *s)
{
    for (;;) {
        struct snap *p = atomic_load(&s->cur);
        if (!p)
            return NULL;
        atomic_fetch_add(&p->readers, 1);
        if (atomic_load(&s->cur) == p)
            return p;
        atomic_fetch_sub(&p->readers, 1);
    }
}

ME_START static void unpin(struct snap *p)
{
    if (p)
        atomic_fetch_sub(&p->readers, 1);
}

static void copy_view(struct me_chain_view *dst, const struct me_chain_view *src)
{
    dst->gen = src->gen;
    dst->set_gen = src->set_gen;
    dst->disp = src->disp;
    dst->n = src->n;
    dst->took_over = src->took_over;
    /* memmove, not memcpy: memcpy@GLIBC_2.14 would add one more symbol
     * version for the dynamic linker to check at every process start */
    memmove(dst->h, src->h, src->n * sizeof src->h[0]);
}

ME_START void me_chain_set_initial(int sig, const struct me_handler *disp)
{
    struct slot *s = slot_of(sig);
    /* A handler already in the kernel (installed by a raw syscall, or kept
     * while the signal was not managed) is adopted as the first chained
     * handler (see read_into). */
    s->initial = *disp;
    atomic_store(&s->cur, NULL);
}

static bool is_handler(const void *fn)
{
    return fn != (void *)SIG_DFL && fn != (void *)SIG_IGN;
}

static void read_into(struct slot *s, struct me_chain_view *view)
{
    /* the frame's address, only ever compared as a number */
    struct inflight *f = inflight_push((uintptr_t)__builtin_frame_address(0));
    struct snap *p = pin_current(s);
    if (f)
        f->pinned = p;
    if (p) {
        copy_view(view, &p->v);
        if (f)
            f->pinned = NULL; /* forget before releasing: never released twice */
        unpin(p);
        inflight_pop();
        return;
    }
    inflight_pop();
    view->gen = 0;
    view->set_gen = 0;
    view->took_over = 0;
    view->disp = s->initial;
    view->n = is_handler(s->initial.fn);
    if (view->n)
        view->h[0] = s->initial;
}

void me_chain_read(int sig, struct me_chain_view *view) { read_into(slot_of(sig), view); }

void me_chain_disposition(int sig, struct me_handler *disp, uint64_t *set_gen)
{
    struct slot *s = slot_of(sig);
    /* the frame's address, only ever compared as a number */
    struct inflight *f = inflight_push((uintptr_t)__builtin_frame_address(0));
    struct snap *p = pin_current(s);
    if (f)
        f->pinned = p;
    if (p) {
        *disp = p->v.disp;
        if (set_gen)
            *set_gen = p->v.set_gen;
        if (f)
            f->pinned = NULL; /* forget before releasing: never released twice */
        unpin(p);
        inflight_pop();
        return;
    }
    inflight_pop();
    *disp = s->initial;
    if (set_gen)
        *set_gen = 0;
}

void *me_chain_disp_fn(int sig)
{
    struct me_handler d;
    me_chain_disposition(sig, &d, NULL);
    return d.fn;
}

/* Snapshots are recycled, so a pointer alone could come back; with the
 * generation it was published with it does not (racy reads of a snapshot
 * being rebuilt only ever make the value differ). */
ME_START uint64_t me_chain_changes(int sig)
{
    struct snap *p = atomic_load(&slot_of(sig)->cur);
    return p ? (uintptr_t)p ^ (p->v.gen << 16) : 0;
}

unsigned me_chain_first_run(const struct me_chain_view *v)
{
    return v->took_over ? 31u - (unsigned)__builtin_clz(v->took_over) : 0;
}

ME_START void me_chain_pin(int sig, uintptr_t mark, struct me_chain_pin *pin)
{
    struct slot *s = slot_of(sig);
    struct inflight *f = inflight_push(mark);
    struct snap *p = pin_current(s);
    if (f)
        f->pinned = p;
    pin->snap_ = f;
    if (p) {
        unsigned first = me_chain_first_run(&p->v);
        pin->h = p->v.h + first;
        pin->n = p->v.n - first;
        pin->disp = &p->v.disp;
        return;
    }
    /* nothing installed yet: the state inherited at exec, which never changes */
    pin->h = &s->initial;
    pin->n = is_handler(s->initial.fn);
    pin->disp = &s->initial;
}

ME_START void me_chain_unpin(struct me_chain_pin *pin)
{
    struct inflight *f = pin->snap_;
    if (!f) {
        inflight_pop(); /* too deep to track */
        return;
    }
    /* Records above ours were left by handlers that jumped out of them: we
     * are back in the frame that holds the pin. */
    unsigned mine = (unsigned)(f - inflight);
    while (n_inflight > mine + 1)
        release_record(--n_inflight);
    release_record(mine);
    n_inflight = mine;
}

/* A pool entry that is neither current nor pinned nor being built. */
static struct snap *take_free(int sig, struct slot *s)
{
    if (!atomic_load(&cold_state()->pool_used[sig]))
        atomic_store(&cold_state()->pool_used[sig], true);
    for (;;) {
        for (int i = 0; i < POOL; i++) {
            struct snap *p = &cold_state()->pools[sig][i];
            if (p == atomic_load(&s->cur))
                continue;
            unsigned zero = 0;
            if (!atomic_compare_exchange_strong(&p->building, &zero, 1))
                continue;
            /* Checked after claiming: a reader that pins now will fail its
             * re-check because p is not current. */
            if (atomic_load(&p->readers) == 0 && p != atomic_load(&s->cur))
                return p;
            atomic_store(&p->building, 0);
        }
        /* Every entry is pinned by readers on other threads: they are only
         * copying, so this ends quickly. */
        sched_yield();
    }
}

typedef void (*mutate_fn)(struct me_chain_view *v, const void *arg, bool *overflowed);

/* The new snapshot's slot is taken before the current one is pinned, and
 * kept across retries: a writer waiting for a free slot holds nothing, so
 * any number of writers make progress with a pool of eight. */
static void update(int sig, mutate_fn mutate, const void *arg, struct me_handler *prev,
                   bool *overflowed)
{
    struct slot *s = slot_of(sig);
    /* the frame's address, only ever compared as a number */
    struct inflight *f = inflight_push((uintptr_t)__builtin_frame_address(0));
    struct snap *nw = take_free(sig, s);
    if (f)
        f->building = nw;
    for (;;) {
        struct snap *old = pin_current(s);
        if (f)
            f->pinned = old;
        if (old)
            copy_view(&nw->v, &old->v);
        else
            read_into(s, &nw->v);
        if (prev)
            *prev = nw->v.disp;
        mutate(&nw->v, arg, overflowed);
        nw->v.gen = old ? old->v.gen + 1 : 1; /* old is current, or the swap fails */
        /* old stays pinned until the swap, so it cannot be recycled and
         * published again in between (ABA). */
        struct snap *expect = old;
        bool won = atomic_compare_exchange_strong(&s->cur, &expect, nw);
        if (f)
            f->pinned = NULL;
        unpin(old);
        if (won) {
            if (f)
                f->building = NULL;
            atomic_store(&nw->building, 0); /* current now: take_free skips it */
            inflight_pop();
            return;
        }
        /* Another writer (maybe a handler that interrupted us) won: redo. */
    }
}

static int find(const struct me_chain_view *v, void *fn)
{
    for (unsigned i = 0; i < v->n; i++)
        if (v->h[i].fn == fn)
            return (int)i;
    return -1;
}

struct install_arg {
    int sig;
    const struct me_handler *nh;
    const struct me_install *how;
};

/* 0 when comp cannot be packed with a generation (never for a user-space
 * address on x86-64 or aarch64): such a reader is not remembered. */
static uint64_t read_record(uintptr_t comp, uint64_t set_gen)
{
    if (!comp || (uint64_t)comp >> 48)
        return 0;
    return (uint64_t)comp << 16 | (set_gen & 0xffff);
}

void me_chain_note_read(int sig, uintptr_t comp, uint64_t set_gen)
{
    struct cold *c = cold_state();
    if (!c)
        return; /* nothing installed yet: there is nothing an install could hide */
    uint64_t rec = read_record(comp, set_gen);
    if (!rec)
        return;
    for (int i = 0; i < READERS; i++)
        if (atomic_load(&c->readers[sig][i]) == rec)
            return;
    unsigned i = atomic_fetch_add(&c->readers_next[sig], 1) % READERS;
    atomic_store(&c->readers[sig][i], rec);
}

/* The installing component read the disposition this install replaces. */
static bool has_read(const struct install_arg *a, const struct me_chain_view *v)
{
    if (a->how->looked)
        return true;
    uint64_t rec = read_record(a->how->by, v->set_gen);
    struct cold *c = cold_state();
    if (!rec || !c)
        return false;
    for (int i = 0; i < READERS; i++)
        if (atomic_load(&c->readers[a->sig][i]) == rec)
            return true;
    return false;
}

/* Keeps the handlers for which keep() is true, in order. A removed handler
 * that had taken the signal over passes that on to the next one kept: what
 * it replaced stays replaced. True when none was left to take it. */
static bool filter(struct me_chain_view *v, bool (*keep)(const struct me_handler *, const void *),
                   const void *arg)
{
    unsigned n = 0;
    uint32_t took = 0;
    bool pending = false;
    for (unsigned i = 0; i < v->n; i++) {
        bool mark = (v->took_over >> i) & 1u;
        if (!keep(&v->h[i], arg)) {
            pending = pending || mark;
            continue;
        }
        if (mark || pending)
            took |= 1u << n;
        pending = false;
        v->h[n++] = v->h[i];
    }
    v->n = n;
    v->took_over = took;
    return pending;
}

/* Keeps h[0..n) (the save/restore idiom: what came after goes). */
static void truncate_to(struct me_chain_view *v, unsigned n)
{
    v->n = n;
    v->took_over &= n >= 32 ? ~0u : (1u << n) - 1;
}

static bool own_and_not_same(const struct me_handler *h, const void *argp)
{
    const struct install_arg *a = argp;
    return h->owner == a->how->self && (h->comp | ME_FN_IN_COMP) != (a->nh->comp | ME_FN_IN_COMP);
}

static bool own_or_same_fn(const struct me_handler *h, const void *argp)
{
    const struct install_arg *a = argp;
    return h->owner == a->how->self || h->fn == a->nh->fn;
}

static void do_install(struct me_chain_view *v, const void *argp, bool *overflowed)
{
    const struct install_arg *a = argp;
    const struct me_handler *nh = a->nh;
    bool takes_over = a->how->chain && has_read(a, v);
    v->disp = *nh;
    v->set_gen = v->gen + 1; /* the generation update() gives this snapshot */
    if (!is_handler(nh->fn)) {
        v->n = 0;
        v->took_over = 0;
        return;
    }
    int i = find(v, nh->fn);
    if (i >= 0) {
        /* in place; it stays where it is, and is now this process's own.
         * A remembered one (older than a handler that took the signal
         * over) comes back with the chain as it stood then. */
        v->h[i] = *nh;
        if (a->how->mode == ME_INSTALL_OUTSIDE) {
            truncate_to(v, (unsigned)i + 1); /* save/restore idiom: drop what came after */
            filter(v, own_or_same_fn, a);
        }
        if (!a->how->chain) {
            v->h[0] = *nh;
            v->n = 1;
            v->took_over = 0;
        }
        return;
    }
    bool pending = false;
    if (a->how->chain) {
        /* the component's previous one, and inherited ones */
        pending = filter(v, own_and_not_same, a);
    } else {
        v->n = 0;
        v->took_over = 0;
    }
    if (v->n == ME_CHAIN_CAP) {
        v->h[v->n - 1] = *nh; /* full: plain overwrite of the newest, as without chaining */
        if (takes_over || pending)
            v->took_over |= 1u << (v->n - 1);
        if (overflowed)
            *overflowed = true;
        return;
    }
    if (takes_over || pending)
        v->took_over |= 1u << v->n;
    v->h[v->n++] = *nh;
}

void me_chain_install(int sig, const struct me_handler *nh, const struct me_install *how,
                      struct me_handler *prev, bool *overflowed)
{
    struct install_arg a = {sig, nh, how};
    if (overflowed)
        *overflowed = false;
    update(sig, do_install, &a, prev, overflowed);
}

struct flags_arg {
    uint32_t set, clear;
};

static void do_flags(struct me_chain_view *v, const void *argp, bool *overflowed)
{
    const struct flags_arg *a = argp;
    (void)overflowed;
    v->disp.flags = (v->disp.flags | a->set) & ~a->clear;
    int i = find(v, v->disp.fn);
    if (i >= 0)
        v->h[i].flags = v->disp.flags;
}

void me_chain_set_disp_flags(int sig, uint32_t set, uint32_t clear, struct me_handler *prev)
{
    struct flags_arg a = {set, clear};
    update(sig, do_flags, &a, prev, NULL);
}

static bool not_fn(const struct me_handler *h, const void *fn) { return h->fn != fn; }

static void do_reset(struct me_chain_view *v, const void *argp, bool *overflowed)
{
    void *fn = (void *)argp;
    (void)overflowed;
    /* If it had taken the signal over and was the newest, what it replaced
     * stays replaced: the remembered handlers go too. */
    if (filter(v, not_fn, fn)) {
        v->n = 0;
        v->took_over = 0;
    }
    if (v->disp.fn == fn) {
        v->disp.fn = (void *)SIG_DFL;
        v->set_gen = v->gen + 1;
    }
}

void me_chain_reset_once(int sig, void *fn) { update(sig, do_reset, fn, NULL, NULL); }

struct transfer_arg {
    uint32_t from, to;
};

static void do_transfer(struct me_chain_view *v, const void *argp, bool *overflowed)
{
    const struct transfer_arg *a = argp;
    (void)overflowed;
    if (v->disp.owner == a->from)
        v->disp.owner = a->to;
    for (unsigned i = 0; i < v->n; i++)
        if (v->h[i].owner == a->from)
            v->h[i].owner = a->to;
}

void me_chain_transfer(int sig, uint32_t from, uint32_t to)
{
    struct transfer_arg a = {from, to};
    if (sig >= ME_HOT_SIGS && !cold_state())
        return; /* never managed */
    struct slot *s = slot_of(sig);
    if (s->initial.owner == from)
        s->initial.owner = to;
    if (atomic_load(&s->cur))
        update(sig, do_transfer, &a, NULL, NULL); /* installs happened: memory is there */
}

void me_chain_after_fork(void)
{
    struct cold *c = atomic_load(&cold);
    if (!c)
        return;
    /* Only what is held is written: the pools' pages are the parent's,
     * shared until written, and writing every entry of every signal cost
     * each forked child some 150 page faults (a shell's every subshell). */
    for (int sig = 0; sig < ME_CHAIN_NSIG; sig++) {
        if (!atomic_load(&c->pool_used[sig]))
            continue;
        for (int i = 0; i < POOL; i++) {
            struct snap *p = &c->pools[sig][i];
            if (atomic_load(&p->readers))
                atomic_store(&p->readers, 0);
            if (atomic_load(&p->building))
                atomic_store(&p->building, 0);
        }
    }
    /* what this thread itself holds (it forked from a handler that
     * interrupted a registry call) is still held */
    unsigned n = n_inflight < INFLIGHT_MAX ? n_inflight : INFLIGHT_MAX;
    for (unsigned i = 0; i < n; i++) {
        if (inflight[i].pinned)
            atomic_fetch_add(&inflight[i].pinned->readers, 1);
        if (inflight[i].building)
            atomic_store(&inflight[i].building->building, 1);
    }
}
