/* SPDX-License-Identifier: MIT */
/* Per-signal handler chains and the program's view of each managed signal.
 *
 * Each signal has a current snapshot, published by compare-and-swap. Writers
 * (sigaction & co, also from inside handlers) build a new snapshot in a free
 * slot of a fixed per-signal pool and publish it; readers (the dispatcher)
 * pin the current snapshot with a counter, re-check it is still current, copy
 * what they need and unpin. No lock, no allocation: usable in a signal
 * handler, and a handler that longjmps out never leaves anything pinned. */
#ifndef ME_SIGCHAIN_H
#define ME_SIGCHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ME_CHAIN_CAP 32 /* handlers per signal; documented in the README */
#define ME_CHAIN_NSIG 65
/* Per-signal state is split in two: signals below ME_HOT_SIGS (HUP, INT,
 * QUIT, USR1, USR2, ALRM, TERM: what programs manage) in ordinary .bss, in
 * the page of writable data that start-up touches anyway; the rest, and
 * every signal's snapshot pool, in memory mapped when first needed. */
#define ME_HOT_SIGS 16

/* The chains' large state (every signal's snapshot pool, the heads of the
 * signals from ME_HOT_SIGS up) is memory the caller maps when it first
 * manages a signal, and hands over here, zeroed, before it manages one:
 * the kernel may refuse it, and the caller then leaves the signal to libc.
 * Only the first memory handed over is used. */
size_t me_chain_memory_size(void);
void me_chain_use_memory(void *zeroed);
bool me_chain_has_memory(void);

/* One installed handler, or the program's disposition. 32 bytes: the
 * heads of the hot signals hold one each in the library's only page of
 * writable data. */
struct me_handler {
    void *fn;       /* handler, or SIG_DFL / SIG_IGN for a disposition */
    uint64_t mask;  /* kernel-sized mask, without KILL and STOP */
    uintptr_t comp; /* its component: the loaded object (a link map) whose code
                     * holds fn, or made the installing call; 0 unknown. Bit 0
                     * (ME_FN_IN_COMP): fn lies in that object's code, and is
                     * not called once the object is unloaded */
    uint32_t flags; /* as the program gave them (bits the kernel keeps), plus
                     * SA_RESTORER as the kernel reports it */
    uint32_t owner; /* the process that installed it (another: inherited by fork) */
};
#define ME_FN_IN_COMP ((uintptr_t)1)

/* What a reader gets: the chain oldest first, and the program's disposition.
 * A handler whose component had read the disposition it replaced took the
 * signal over (SEMANTICS section 2): the handlers older than the newest
 * such one are remembered, not run, so that reinstalling one of them
 * restores the chain as it was then. */
struct me_chain_view {
    uint64_t gen;
    uint64_t set_gen; /* gen when the disposition was last installed */
    struct me_handler disp;
    unsigned n;
    uint32_t took_over; /* bit i: h[i] took the signal over */
    struct me_handler h[ME_CHAIN_CAP];
};
/* The first handler that runs: the newest one that took the signal over. */
unsigned me_chain_first_run(const struct me_chain_view *v);

/* Initial state of a signal (what the process inherited at exec). Called
 * once per managed signal before anything is published. */
void me_chain_set_initial(int sig, const struct me_handler *disp);

/* Copies the current state; only the first view->n handlers are written. */
void me_chain_read(int sig, struct me_chain_view *view);
/* The program's disposition only, and (set_gen, unless NULL) the
 * generation it was installed at, for me_chain_note_read. */
void me_chain_disposition(int sig, struct me_handler *disp, uint64_t *set_gen);
/* The current disposition's function, and a counter that every change of
 * sig's chain moves: cheap enough for the dispatcher to ask per handler. */
void *me_chain_disp_fn(int sig);
uint64_t me_chain_changes(int sig);

/* A component (an object's identity, as struct me_handler's comp without
 * ME_FN_IN_COMP) got sig's disposition, installed at set_gen (as
 * me_chain_disposition reported it), back from a query: until the
 * disposition changes, a handler it installs takes the signal over. A few
 * such readers are remembered per signal; an older one may be forgotten
 * (its install then chains, as if it had not looked). */
void me_chain_note_read(int sig, uintptr_t comp, uint64_t set_gen);

/* A delivery's hold on the chain as it stood on arrival, read in place
 * (the dispatcher copies nothing onto the stack a handler runs on). The
 * snapshot stays pinned until me_chain_unpin, or until a later registry
 * call on this thread finds the hold abandoned (a handler jumped out);
 * mark is the holder's frame address. */
struct me_chain_pin {
    const struct me_handler *h; /* the handlers that run, oldest first */
    unsigned n;
    const struct me_handler *disp;
    void *snap_;
};
void me_chain_pin(int sig, uintptr_t mark, struct me_chain_pin *pin);
void me_chain_unpin(struct me_chain_pin *pin);

enum me_install_mode {
    ME_INSTALL_OUTSIDE,  /* ordinary install: re-installing truncates newer ones */
    ME_INSTALL_INSIDE,   /* from within that handler's own execution: no truncation */
};

/* How an install replaces what is there (SEMANTICS section 2):
 *   - SIG_DFL / SIG_IGN empty the chain;
 *   - a handler already chained is updated in place; from outside its own
 *     execution, the handlers installed after it, and those inherited
 *     across fork, are removed (save/restore idiom);
 *   - a new handler becomes the newest and removes the one its own
 *     component had and every inherited one; with chain false (MULTIEXIT_
 *     CHAIN=off) it removes all, as the kernel does;
 *   - a new handler whose installer read the disposition it replaces (the
 *     call returns it: looked; or me_chain_note_read(by) since it was set)
 *     takes the signal over: the older handlers stay, remembered, not run.
 * self is this process's identity: a handler whose owner differs was
 * inherited. nh->owner must be self. */
struct me_install {
    enum me_install_mode mode;
    uint32_t self;
    bool chain;
    bool looked;  /* the call itself returns the replaced disposition */
    uintptr_t by; /* the installing call's component, 0 unknown */
};
/* Installs nh as the program's disposition; *overflowed is set when the
 * chain was full (the newest is then overwritten). */
void me_chain_install(int sig, const struct me_handler *nh, const struct me_install *how,
                      struct me_handler *prev, bool *overflowed);
/* Changes only the flags of the current disposition (siginterrupt). */
void me_chain_set_disp_flags(int sig, uint32_t set, uint32_t clear, struct me_handler *prev);
/* SA_RESETHAND semantics: drops fn from the chain; if it was the
 * disposition, the disposition becomes SIG_DFL (flags kept, as the kernel). */
void me_chain_reset_once(int sig, void *fn);
/* daemon(): the handlers process `from` installed are `to`'s (the same
 * program going on in a child). */
void me_chain_transfer(int sig, uint32_t from, uint32_t to);
/* In a forked child: snapshots pinned or being built by threads that did
 * not survive the fork are free again. Only this thread runs. */
void me_chain_after_fork(void);

/* For other per-thread "in progress" flags: was the operation that recorded
 * stack address rec abandoned (by a handler jumping out), seen from mark? */
bool me_chain_mark_abandoned(uintptr_t rec, uintptr_t mark);

#endif
