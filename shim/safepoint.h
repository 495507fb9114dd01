/* SPDX-License-Identifier: MIT */
#ifndef ME_SAFEPOINT_H
#define ME_SAFEPOINT_H

#include <signal.h>
#include <stdbool.h>

/* Where a signal-initiated exit may run (safepoint.c). */
struct me_loaded;
/* Called for every loaded object at init: guards the executable segments
 * of libc, the dynamic linker etc., and of objects the caller names. */
void me_safepoint_visit(struct me_loaded *l, bool guard);
/* Instead: libc's and the others' ranges are read from the objects loaded
 * at start-up (objects.h) when a signal first needs them. */
void me_safepoint_defer(void);
bool me_context_is_safe(const void *uc, const siginfo_t *info);
/* The interrupted thread is blocked in (or about to enter) a system call
 * that writes data: write, send and their kin. */
bool me_context_in_write(const void *uc);

#endif
