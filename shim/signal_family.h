/* SPDX-License-Identifier: MIT */
#ifndef ME_SIGNAL_FAMILY_H
#define ME_SIGNAL_FAMILY_H

#include <signal.h>
#include <stdint.h>

/* sigaction and the functions glibc builds on it (signal_family.c). */
/* caller: the return address of the program's call (for the component of
 * a handler outside every loaded object). What old returns is not counted
 * as read by the caller (signal() & co): sigaction itself is the export. */
int me_sigaction(int sig, const struct sigaction *act, struct sigaction *old, const void *caller);
/* daemon(): the handlers the parent installed are the child's own. */
void me_chains_transfer(uint32_t from, uint32_t to);

#endif
