/* SPDX-License-Identifier: MIT */
/* A library component for the transparency tests (test_transparency.c):
 * its handler lives in this shared object, so under the contract's component
 * rule it belongs to a component other than the program's. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void lib_handler(int sig)
{
    (void)sig;
    if (write(1, "lib\n", 4) < 0) {
    }
}

/* Installs lib_handler for sig with sigaction() and the given flags. */
void tlib_install(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = lib_handler;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}
