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

/* Maps size zeroed bytes once, with madvise(advice) unless 0, and
 * publishes them in *where (whoever comes first wins; the others unmap
 * theirs). NULL if the kernel refuses. Async-signal-safe. */
void *me_map_once(void *_Atomic *where, size_t size, int advice);
/* Maps the chains' large state if it is not yet: false if the kernel
 * refuses. The registry maps it on demand too, but cannot refuse a caller:
 * the shim asks here first, before managing a signal or changing a chain,
 * and leaves the signal to libc on false. */
bool me_chain_ready(void);

struct me_handler {
    void *fn;       /* handler, or SIG_DFL / SIG_IGN for a disposition */
    uint32_t flags; /* as the program gave them, plus SA_RESTORER as the kernel reports */
    uint64_t mask;  /* kernel-sized mask, without KILL and STOP */
};

/* What a reader gets: the chain oldest first, and the program's disposition. */
struct me_chain_view {
    uint64_t gen;
    struct me_handler disp;
    unsigned n;
    struct me_handler h[ME_CHAIN_CAP];
};

/* Initial state of a signal (what the process inherited at exec). Called
 * once per managed signal before anything is published. */
void me_chain_set_initial(int sig, const struct me_handler *disp);

/* Copies the current state; only the first view->n handlers are written. */
void me_chain_read(int sig, struct me_chain_view *view);
/* The program's disposition only. */
void me_chain_disposition(int sig, struct me_handler *disp, uint64_t *gen);

enum me_install_mode {
    ME_INSTALL_OUTSIDE,  /* ordinary install: re-installing truncates newer ones */
    ME_INSTALL_INSIDE,   /* from within that handler's own execution: no truncation */
};

/* Installs nh as the program's disposition (SIG_DFL/SIG_IGN empty the chain).
 * Returns true and a one-time warning flag if the chain was full. */
void me_chain_install(int sig, const struct me_handler *nh, enum me_install_mode mode,
                      struct me_handler *prev, bool *overflowed);
/* Changes only the flags of the current disposition (siginterrupt). */
void me_chain_set_disp_flags(int sig, uint32_t set, uint32_t clear, struct me_handler *prev);
/* SA_RESETHAND semantics: drops fn from the chain; if it was the
 * disposition, the disposition becomes SIG_DFL (flags kept, as the kernel). */
void me_chain_reset_once(int sig, void *fn);

/* For other per-thread "in progress" flags: was the operation that recorded
 * stack address rec abandoned (by a handler jumping out), seen from mark? */
bool me_chain_mark_abandoned(uintptr_t rec, uintptr_t mark);

#endif
