/* A "component": a shared library that installs its own SIGTERM handler,
 * unaware of the others. Built several times with COMP set to its name. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

static void handler(int sig)
{
    (void)sig;
    static const char msg[] = STR(COMP) " handler\n";
    if (write(1, msg, sizeof msg - 1) < 0) {
    }
}

/* with_sigaction: install with sigaction(), else with signal() */
void CAT(COMP, _install)(int with_sigaction)
{
    if (with_sigaction) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handler;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGTERM, &sa, NULL);
    } else {
        signal(SIGTERM, handler);
    }
}
