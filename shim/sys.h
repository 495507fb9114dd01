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

#if defined(__x86_64__)
static inline long me_sys6(long n, long a, long b, long c, long d, long e, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#else
#include <errno.h>
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
#endif

#define me_sys(n, ...) me_sys_(n, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define me_sys_(n, a, b, c, d, e, f, ...)                                                      \
    me_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

static inline pid_t me_sys_getpid(void) { return (pid_t)me_sys6(SYS_getpid, 0, 0, 0, 0, 0, 0); }
static inline pid_t me_sys_gettid(void) { return (pid_t)me_sys6(SYS_gettid, 0, 0, 0, 0, 0, 0); }

#endif
