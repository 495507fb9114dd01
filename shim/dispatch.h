/* SPDX-License-Identifier: MIT */
#ifndef ME_DISPATCH_H
#define ME_DISPATCH_H

#include <signal.h>

/* The one kernel-level handler of every managed signal (dispatch.c). */
void me_dispatch(int sig, siginfo_t *info, void *uc);

#endif
