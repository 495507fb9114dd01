/* SPDX-License-Identifier: MIT */
#ifndef ME_EXIT_FAMILY_H
#define ME_EXIT_FAMILY_H

#include <stdbool.h>

/* atexit, on_exit, __cxa_atexit, __cxa_finalize, exit (exit_family.c). */
/* kind: enum me_exit_kind (registry/exitfns.h) */
int me_register(int kind, void *fn, void *arg, void *dso, bool shared);

#endif
