/* SPDX-License-Identifier: MIT */
#ifndef ME_SAFEPOINT_H
#define ME_SAFEPOINT_H

#include <signal.h>
#include <stdbool.h>

/* Where a signal-initiated exit may run (safepoint.c). */
struct me_loaded;
/* Whether an object's executable segments are guarded: libc's, the dynamic
 * linker's, libstdc++'s, libgcc_s's, this library's (self), and those of
 * the first object in load order to define malloc (*malloc_seen: one came
 * before). Asked of every loaded object in load order. */
bool me_safepoint_wants(const struct me_loaded *l, bool self, bool *malloc_seen);
/* Guards them. */
void me_safepoint_guard(struct me_loaded *l);
/* Instead: libc's and the others' ranges are read from the objects loaded
 * at start-up (objects.h) when a signal first needs them. */
void me_safepoint_defer(void);
bool me_context_is_safe(const void *uc, const siginfo_t *info);
/* The interrupted thread is blocked in (or about to enter) a system call
 * that writes data: write, send and their kin. */
bool me_context_in_write(const void *uc);

#endif
