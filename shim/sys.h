/* SPDX-License-Identifier: MIT */
/* Raw system calls. The shim is loaded into every process, and each libc
 * function it calls for the first time costs a lazy PLT binding (about 700
 * instructions of dynamic-linker work, at every process start for the
 * start-up path); an inline syscall costs none, touches no errno and is
 * async-signal-safe by construction. Failure is returned as -errno, the
 * kernel's convention. */
#ifndef ME_SYS_H
#define ME_SYS_H

#include <sys/syscall.h>
#include <sys/types.h>

#include "arch.h"

#define me_sys(n, ...) me_sys_(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define me_sys_(n, a, b, c, d, e, f, ...)                                                      \
    me_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* A result in -4095..-1 is an error (an mmap address may look negative
 * elsewhere). */
static inline __attribute__((always_inline)) int me_sys_failed(long r) { return (unsigned long)r > -4096UL; }

static inline __attribute__((always_inline)) pid_t me_sys_getpid(void) { return (pid_t)me_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0); }
static inline __attribute__((always_inline)) pid_t me_sys_gettid(void) { return (pid_t)me_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0); }

#endif
