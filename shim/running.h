/* SPDX-License-Identifier: MIT */
#ifndef ME_RUNNING_H
#define ME_RUNNING_H

#include <stdbool.h>
#include <stdint.h>

/* The handlers this thread is running (running.c): tells a re-install from
 * inside a handler (SysV re-arm) from the save/restore idiom, and a handler
 * taking its signal over from a change another thread made. */
void me_running_push(int sig, void *fn, void *frame);
void me_running_pop(void);
/* fn is running for sig on this thread, in a frame above mark (a handler
 * that jumped out is no longer running). */
bool me_handler_running(int sig, void *fn, uintptr_t mark);
/* The handler for sig that this thread runs innermost (live above mark),
 * or NULL: a delivery nested in it (the handler raised its signal again)
 * starts at it. */
void *me_running_innermost(int sig, uintptr_t mark);
/* This thread is running a handler the dispatcher called. */
bool me_in_handler(void);
/* Changes of managed dispositions made by this thread so far. */
unsigned long me_installs_by_this_thread(void);
void me_count_install(void);

#endif
