/* SPDX-License-Identifier: MIT */
#include "exitfns.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

/* ME_START, ME_WARM: placement in the shim's split layout
 * (shim/placement.h), defined by the build, empty without that layout. */
/* 24 bytes: a million registrations cost 24 MB beside glibc's own 32 MB.
 * meta packs the owner's identity (below 2^28) with three flags. */
struct me_exit_rec {
    void *fn;
    void *arg;
    _Atomic uint32_t meta;
    _Atomic me_proc_id ran_by; /* the process that ran it, 0 = not run */
};

#define META_OWNER 0x0fffffffu
#define META_ONEXIT 0x10000000u
#define META_SHARED 0x20000000u
#define META_REMOVED 0x40000000u

struct chunk {
    struct chunk *next;
    size_t cap;
    _Atomic size_t used;
    struct me_exit_rec recs[];
};

#define FIRST_CAP 16 /* in the page of hot writable data: see sigchain.h */
#define MAX_CAP 16384
#define HUGE_BYTES ((size_t)2 << 20)

static struct {
    struct chunk hdr;
    struct me_exit_rec recs[FIRST_CAP];
} first; /* in .bss (cap 0 stands for FIRST_CAP): no file-backed page for it */

static struct chunk *head = &first.hdr; /* oldest chunk */
static struct chunk *tail = &first.hdr; /* chunk being filled */
static _Atomic me_proc_id lock; /* the holder's process, 0 = free */

/* Past some 16,000 registrations (chunks of 64, 128, … 8192 records) a chunk
 * is one 2 MiB transparent huge page where the kernel allows them: one
 * fault instead of 512, and faults were most of what a million
 * registrations cost. Chunks are never freed. */
ME_WARM static struct chunk *chunk_alloc(size_t *cap)
{
    if (*cap == MAX_CAP) {
        void *p = mmap(NULL, 2 * HUGE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                       -1, 0);
        if (p != MAP_FAILED) {
            uintptr_t a = ((uintptr_t)p + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
            if (a > (uintptr_t)p)
                munmap(p, a - (uintptr_t)p);
            munmap((void *)(a + HUGE_BYTES), (uintptr_t)p + 2 * HUGE_BYTES - a - HUGE_BYTES);
            madvise((void *)a, HUGE_BYTES, MADV_HUGEPAGE);
            *cap = (HUGE_BYTES - sizeof(struct chunk)) / sizeof(struct me_exit_rec);
            return (struct chunk *)a;
        }
    }
    return malloc(sizeof(struct chunk) + *cap * sizeof(struct me_exit_rec));
}

/* Registration is short and never done from a signal handler that could
 * interrupt another registration without deadlocking glibc itself (its
 * __exit_funcs_lock is not recursive either), so a spin lock is enough.
 * It holds the holder's process identity: held by another process, it was
 * copied by a fork while a thread of the parent registered, and nobody
 * here will release it; the half-made record was not published yet. A
 * vfork child shares the lock with its parent's running threads: it never
 * takes it over, nor is it taken from one. */
ME_WARM static void lock_acquire(me_proc_id self)
{
    for (;;) {
        me_proc_id held = 0;
        if (atomic_compare_exchange_weak_explicit(&lock, &held, self, memory_order_acquire,
                                                  memory_order_relaxed))
            return;
        if (held && held != self && held != ME_PROC_VFORK_CHILD && self != ME_PROC_VFORK_CHILD &&
            atomic_compare_exchange_strong_explicit(&lock, &held, self, memory_order_acquire,
                                                    memory_order_relaxed))
            return;
        sched_yield();
    }
}

ME_WARM static void lock_release(void) { atomic_store_explicit(&lock, 0, memory_order_release); }

ME_WARM struct me_exit_rec *me_exitfns_new(enum me_exit_kind kind, void *fn, void *arg,
                                   me_proc_id owner, bool shared)
{
    struct me_exit_rec *r = NULL;
    lock_acquire(owner);
    size_t tail_cap = tail->cap ? tail->cap : FIRST_CAP;
    if (tail->used == tail_cap) {
        size_t cap = tail_cap * 2 > MAX_CAP ? MAX_CAP : tail_cap * 2;
        struct chunk *c = chunk_alloc(&cap);
        if (!c) {
            lock_release();
            return NULL;
        }
        c->next = NULL;
        c->cap = cap;
        c->used = 0;
        tail->next = c;
        tail = c;
    }
    r = &tail->recs[tail->used];
    r->fn = fn;
    r->arg = arg;
    atomic_store_explicit(&r->meta,
                          ((uint32_t)owner & META_OWNER) | (kind == ME_EXIT_ON_EXIT ? META_ONEXIT : 0) |
                              (shared ? META_SHARED : 0),
                          memory_order_relaxed);
    atomic_store_explicit(&r->ran_by, 0, memory_order_relaxed);
    /* published after the fields, for readers walking the chunks */
    atomic_store_explicit(&tail->used, tail->used + 1, memory_order_release);
    lock_release();
    return r;
}

static unsigned long claimed; /* for MULTIEXIT_VERBOSE; one thread walks the list */

unsigned long me_exitfns_ran(void) { return claimed; }

ME_WARM bool me_exitfns_claim(struct me_exit_rec *r, me_proc_id self)
{
    uint32_t meta = atomic_load_explicit(&r->meta, memory_order_acquire);
    if (meta & META_REMOVED)
        return false;
    if (!(meta & META_SHARED) && (meta & META_OWNER) != self)
        return false;
    /* ran_by holds a process, not a flag: a forked child copies it, and what
     * the parent ran must still run there. No compare-and-swap needed: glibc
     * hands each list entry (one per record) to a single caller, under its
     * own lock, and the shim lets only one thread walk the list. */
    if (atomic_load_explicit(&r->ran_by, memory_order_relaxed) == self)
        return false;
    atomic_store_explicit(&r->ran_by, self, memory_order_relaxed);
    claimed++;
    return true;
}

ME_WARM bool me_exitfns_any(void) { return atomic_load_explicit(&first.hdr.used, memory_order_relaxed) != 0; }

ME_WARM void *me_exitfns_fn(const struct me_exit_rec *r) { return r->fn; }
ME_WARM void *me_exitfns_arg(const struct me_exit_rec *r) { return r->arg; }

static size_t remove_where(uintptr_t lo, uintptr_t hi, bool by_fn, me_proc_id self)
{
    size_t n = 0;
    for (struct chunk *c = head; c; c = c->next) {
        size_t used = atomic_load_explicit(&c->used, memory_order_acquire);
        for (size_t i = 0; i < used; i++) {
            struct me_exit_rec *r = &c->recs[i];
            uintptr_t f = (uintptr_t)r->fn;
            if (f < lo || f >= hi)
                continue;
            uint32_t meta = atomic_load(&r->meta);
            if (by_fn && !(meta & META_SHARED) && (meta & META_OWNER) != self)
                continue; /* the parent's private function: not ours to remove */
            if (by_fn && atomic_load(&r->ran_by) == self)
                continue; /* already ran here */
            if (!(atomic_fetch_or(&r->meta, META_REMOVED) & META_REMOVED))
                n++;
        }
    }
    return n;
}

size_t me_exitfns_remove_fn(void *fn, me_proc_id self)
{
    return remove_where((uintptr_t)fn, (uintptr_t)fn + 1, true, self);
}

size_t me_exitfns_remove_range(const void *lo, const void *hi)
{
    return remove_where((uintptr_t)lo, (uintptr_t)hi, false, 0);
}

static void run_chunk_shared(struct chunk *c, me_proc_id self, int status)
{
    if (!c)
        return;
    run_chunk_shared(c->next, self, status); /* newer chunks first */
    for (size_t i = atomic_load(&c->used); i-- > 0;) {
        struct me_exit_rec *r = &c->recs[i];
        uint32_t meta = atomic_load(&r->meta);
        me_proc_id before = atomic_load(&r->ran_by);
        if (!(meta & META_SHARED) || !me_exitfns_claim(r, self))
            continue;
        if (meta & META_ONEXIT)
            ((void (*)(int, void *))r->fn)(status, r->arg);
        else
            ((void (*)(void *))r->fn)(r->arg);
        atomic_store(&r->ran_by, before);
    }
}

void me_exitfns_run_shared(me_proc_id self, int status) { run_chunk_shared(head, self, status); }

void me_exitfns_transfer(me_proc_id from, me_proc_id to)
{
    lock_acquire(to);
    for (struct chunk *c = head; c; c = c->next)
        for (size_t i = 0; i < c->used; i++) {
            struct me_exit_rec *r = &c->recs[i];
            uint32_t meta = atomic_load(&r->meta);
            if ((meta & META_OWNER) == from)
                atomic_store(&r->meta, (meta & ~META_OWNER) | (to & META_OWNER));
        }
    lock_release();
}
