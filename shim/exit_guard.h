/* SPDX-License-Identifier: MIT */
#ifndef ME_EXIT_GUARD_H
#define ME_EXIT_GUARD_H

/* (exit_guard.c) At the start of a signal-initiated cleanup: a SIGPIPE,
 * SIGABRT or crash the cleanup raises makes the process die by sig; and
 * just before its final flush. */
void me_exit_guard_raised(int sig);
void me_exit_guard_flush(void);

#endif
