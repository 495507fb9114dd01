/* SPDX-License-Identifier: MIT */
/* tests/go_cgo.sh: a "late" C library of a Go program built with cgo. The
 * program calls late_install() through cgo once the Go runtime runs: it
 * installs a SIGTERM handler the way many C libraries do, with
 * sigaction(SIGTERM, &sa, NULL), without SA_ONSTACK and without reading the
 * handler it replaces (Go's). Without the shim it replaces Go's handler;
 * with the shim it is chained with it, and each of the two must run on the
 * stack its own flags ask for (Go's on its alternate signal stack, or Go
 * dies with "non-Go code set up signal handler without SA_ONSTACK flag").
 * A library of its own, not the cgo preamble: the shim tells components
 * apart by the object that holds the handler, and the preamble's code is in
 * the executable, with the Go runtime's. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t calls;

static void late_handler(int sig)
{
    static const char line[] = "late handler\n";
    (void)sig;
    calls++;
    (void)!write(1, line, sizeof line - 1);
}

int late_calls(void)
{
    return calls;
}

int late_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = late_handler; /* flags 0: no SA_ONSTACK */
    sigemptyset(&sa.sa_mask);
    return sigaction(SIGTERM, &sa, NULL); /* the old handler is not read */
}
