#include "exitfns.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

struct me_exit_rec {
    void *fn;
    void *arg;
    void *dso;
    pid_t owner;
    _Atomic pid_t ran_by; /* pid of the process that ran it, 0 = not run */
    uint8_t kind;
    uint8_t shared;
    atomic_uchar removed;
};

struct chunk {
    struct chunk *next;
    size_t cap;
    _Atomic size_t used;
    struct me_exit_rec recs[];
};

#define FIRST_CAP 64
#define MAX_CAP 16384

static struct {
    struct chunk hdr;
    struct me_exit_rec recs[FIRST_CAP];
} first = {.hdr = {.cap = FIRST_CAP}};

static struct chunk *head = &first.hdr; /* oldest chunk */
static struct chunk *tail = &first.hdr; /* chunk being filled */
static atomic_flag lock = ATOMIC_FLAG_INIT;
static atomic_size_t ran_count;

/* Registration is short and never done from a signal handler that could
 * interrupt another registration without deadlocking glibc itself (its
 * __exit_funcs_lock is not recursive either), so a spin lock is enough. */
static void lock_acquire(void)
{
    while (atomic_flag_test_and_set_explicit(&lock, memory_order_acquire))
        sched_yield();
}

static void lock_release(void) { atomic_flag_clear_explicit(&lock, memory_order_release); }

struct me_exit_rec *me_exitfns_new(enum me_exit_kind kind, void *fn, void *arg, void *dso,
                                   pid_t owner, bool shared)
{
    struct me_exit_rec *r = NULL;
    lock_acquire();
    if (tail->used == tail->cap) {
        size_t cap = tail->cap * 2 > MAX_CAP ? MAX_CAP : tail->cap * 2;
        struct chunk *c = malloc(sizeof *c + cap * sizeof c->recs[0]);
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
    r->dso = dso;
    r->owner = owner;
    r->ran_by = 0;
    r->kind = (uint8_t)kind;
    r->shared = shared;
    r->removed = 0;
    /* published after the fields, for readers walking the chunks */
    atomic_store_explicit(&tail->used, tail->used + 1, memory_order_release);
    lock_release();
    return r;
}

bool me_exitfns_claim(struct me_exit_rec *r, pid_t self)
{
    if (atomic_load_explicit(&r->removed, memory_order_acquire))
        return false;
    if (!r->shared && r->owner != self)
        return false;
    pid_t seen = atomic_load(&r->ran_by);
    /* ran_by holds a pid, not a flag: a vfork child shares our memory, and
     * what it ran must still run here. */
    while (seen != self) {
        if (atomic_compare_exchange_weak(&r->ran_by, &seen, self)) {
            atomic_fetch_add_explicit(&ran_count, 1, memory_order_relaxed);
            return true;
        }
    }
    return false;
}

void *me_exitfns_fn(const struct me_exit_rec *r) { return r->fn; }
void *me_exitfns_arg(const struct me_exit_rec *r) { return r->arg; }

static size_t remove_where(void *fn, void *dso, bool by_fn, pid_t self)
{
    size_t n = 0;
    for (struct chunk *c = head; c; c = c->next) {
        size_t used = atomic_load_explicit(&c->used, memory_order_acquire);
        for (size_t i = 0; i < used; i++) {
            struct me_exit_rec *r = &c->recs[i];
            if (by_fn ? r->fn != fn : r->dso != dso)
                continue;
            if (by_fn && !r->shared && r->owner != self)
                continue; /* the parent's private function: not ours to remove */
            if (by_fn && atomic_load(&r->ran_by) == self)
                continue; /* already ran here */
            if (!atomic_exchange(&r->removed, 1))
                n++;
        }
    }
    return n;
}

size_t me_exitfns_remove_fn(void *fn, pid_t self) { return remove_where(fn, NULL, true, self); }
size_t me_exitfns_remove_dso(void *dso) { return remove_where(NULL, dso, false, 0); }

static void run_chunk_shared(struct chunk *c, pid_t self, int status)
{
    if (!c)
        return;
    run_chunk_shared(c->next, self, status); /* newer chunks first */
    for (size_t i = atomic_load(&c->used); i-- > 0;) {
        struct me_exit_rec *r = &c->recs[i];
        if (!r->shared || !me_exitfns_claim(r, self))
            continue;
        if (r->kind == ME_EXIT_ON_EXIT)
            ((void (*)(int, void *))r->fn)(status, r->arg);
        else
            ((void (*)(void *))r->fn)(r->arg);
    }
}

void me_exitfns_run_shared(pid_t self, int status) { run_chunk_shared(head, self, status); }

void me_exitfns_transfer(pid_t from, pid_t to)
{
    lock_acquire();
    for (struct chunk *c = head; c; c = c->next)
        for (size_t i = 0; i < c->used; i++)
            if (c->recs[i].owner == from)
                c->recs[i].owner = to;
    lock_release();
}

size_t me_exitfns_ran(void) { return atomic_load(&ran_count); }
