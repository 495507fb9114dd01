/* SPDX-License-Identifier: MIT */
/* A preload whose constructor, run before the shim's, calls unsetenv():
 * glibc shifts the rest of the initial environment down in place, and the
 * slot after its new terminator is no longer the auxiliary vector. */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>

__attribute__((constructor)) static void unset(void) { unsetenv("ME_UNSET_ME"); }
