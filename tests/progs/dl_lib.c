/* SPDX-License-Identifier: MIT */
/* Loaded with dlopen by dl_main: registers an exit function. */
#include <stdio.h>
#include <stdlib.h>

static void lib_exitfn(void) { printf("lib exitfn\n"); }

void lib_register(void) { atexit(lib_exitfn); }
