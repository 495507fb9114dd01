/* SPDX-License-Identifier: MIT */
/* A peer preload library that wraps sigaction, as OpenJDK's libjsig or a
 * tracer does: it reports each SIGTERM install that reaches it and passes
 * the call on to the next definition. */
#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>

int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
    static int (*next)(int, const struct sigaction *, struct sigaction *);
    if (!next)
        next = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT,
                                                                                  "sigaction");
    if (sig == SIGTERM && act) {
        static const char msg[] = "peer: SIGTERM install\n";
        if (write(2, msg, sizeof msg - 1) < 0) {
        }
    }
    return next(sig, act, old);
}
