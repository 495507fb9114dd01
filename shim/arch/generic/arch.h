/* SPDX-License-Identifier: MIT */
/* An architecture with no port: raw system calls through libc's syscall(),
 * no reading of the interrupted context (a signal-initiated exit then
 * starts at once in the handler, which can deadlock if the signal
 * interrupted malloc), vfork not wrapped, handlers not moved to the
 * alternate stack. CMakeLists.txt warns when it
 * builds with this file. */
#ifndef ME_ARCH_H
#define ME_ARCH_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

static inline long me_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    int saved = errno;
    long r = syscall(n, a, b, c, d, e, f);
    if (r == -1) {
        r = -errno;
        errno = saved;
    }
    return r;
}

#define ME_SA_RESTORER 0u
#define ME_ARCH_SAFEPOINTS 0
#define ME_ARCH_VFORK_STUB 0
#define ME_ARCH_STACK_SWITCH 0 /* a chained SA_ONSTACK handler runs where the dispatcher does */

#endif
