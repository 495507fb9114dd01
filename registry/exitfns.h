/* SPDX-License-Identifier: MIT */
/* Exit-function records. Every atexit/on_exit/__cxa_atexit registration the
 * program makes becomes a record, and glibc's own list gets a trampoline
 * pointing at it: glibc keeps deciding the order (LIFO, interleaved with
 * _dl_fini and __cxa_finalize), the record decides whether the function may
 * run in this process and makes sure it runs at most once. */
#ifndef ME_EXITFNS_H
#define ME_EXITFNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum me_exit_kind { ME_EXIT_CXA = 0, ME_EXIT_ON_EXIT = 1 };

/* Owners and runners are process identities (the shim's me_self_id()),
 * below 2^28, never 0; a vfork child, which shares its parent's memory,
 * is ME_PROC_VFORK_CHILD. */
typedef uint32_t me_proc_id;
#define ME_PROC_VFORK_CHILD ((me_proc_id)0x0fffffff)

struct me_exit_rec;

/* Records are allocated in chunks (the first one static, so registrations
 * made before the shim's constructor need no allocator). NULL when out of
 * memory. */
struct me_exit_rec *me_exitfns_new(enum me_exit_kind kind, void *fn, void *arg,
                                   me_proc_id owner, bool shared);
/* Whether any registration was ever made in this memory. */
bool me_exitfns_any(void);
/* Called by the trampolines: true when the record may run now in process
 * `self` (not removed, private and owned by self or shared, not run yet by
 * self); marks it run. */
bool me_exitfns_claim(struct me_exit_rec *r, me_proc_id self);
/* How many claims succeeded in this process's memory (the exit functions
 * the current exit has run, for MULTIEXIT_VERBOSE). */
unsigned long me_exitfns_ran(void);
void *me_exitfns_fn(const struct me_exit_rec *r);
void *me_exitfns_arg(const struct me_exit_rec *r);

/* Marks removed every record of `fn` that belongs to process `self` (private
 * and owned by it, or shared); returns how many were live. */
size_t me_exitfns_remove_fn(void *fn, me_proc_id self);
/* Marks removed every record whose function lies in [lo, hi) (the code of
 * a library being dlclose'd). */
size_t me_exitfns_remove_range(const void *lo, const void *hi);
/* Private records of `from` become owned by `to` (daemon() hand-over). */
void me_exitfns_transfer(me_proc_id from, me_proc_id to);
/* Runs, newest first, the shared records process `self` may run (the
 * vfork-child exit: glibc's list belongs to the parent), and leaves every
 * record as it found it: the memory is the parent's. */
void me_exitfns_run_shared(me_proc_id self, int status);

#endif
