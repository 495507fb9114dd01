/* SPDX-License-Identifier: MIT */
#ifndef ME_EXIT_PATH_H
#define ME_EXIT_PATH_H

#include <signal.h>
#include <stdbool.h>

/* The signal-initiated exit, and the one-owner rule for exits
 * (exit_path.c). */

/* Called by the dispatcher first: true when the signal was consumed by an
 * exit already in progress (absorbed, deferred retry, or watchdog). */
bool me_exit_intercept(int sig, const siginfo_t *info, void *uc, bool default_disp);
/* The program's disposition is SIG_DFL and the default action terminates. */
void me_exit_from_signal(int sig, const siginfo_t *info, void *uc);
/* exit() or a return from main: claims the exit for this thread, runs a
 * pending signal exit here, or waits for ever while another thread owns
 * it (glibc 2.36 cannot walk the exit list twice at once). Returns when
 * the caller may go on with glibc's exit. */
void me_exit_settle_normal(void);
/* Registered first at init: runs last, flushes stdio and dies by the
 * signal that started the exit. */
void me_exit_final_hook(void *unused);
bool me_exit_in_progress(void);
/* An interpreter's own unwinding is the cleanup for sig (interp/): the
 * exit that ends it dies by sig, and MULTIEXIT_TIMEOUT bounds it. False
 * when an exit is already under way (the signal is absorbed then). Not
 * from a signal handler. */
bool me_exit_begin_unwinding(int sig);
/* _exit or _Exit: after a signal started the exit, dies by it. */
void me_exit_immediate(void);

#endif
