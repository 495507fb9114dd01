/* SPDX-License-Identifier: MIT */
#ifndef ME_EXIT_FAMILY_H
#define ME_EXIT_FAMILY_H

#include <stdbool.h>

/* atexit, on_exit, __cxa_atexit, __cxa_finalize, exit (exit_family.c). */
/* kind: enum me_exit_kind (registry/exitfns.h) */
int me_register(int kind, void *fn, void *arg, void *dso, bool shared);
/* The program's main function has started (constructors are done). */
bool me_main_started(void);
/* The top of the main thread's stack, as the kernel set it up at exec;
 * NULL if the program did not start through __libc_start_main. */
void *me_main_stack_end(void);

#endif
