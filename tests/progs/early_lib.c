/* SPDX-License-Identifier: MIT */
/* Linked into early_main as DT_NEEDED: its constructor runs before the
 * preloaded shim's constructor (ld.so initialises dependencies first), and
 * registers an exit function and a SIGINT handler from there. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void early_exitfn(void) { printf("early exitfn\n"); }

static void early_int(int sig)
{
    (void)sig;
    static const char msg[] = "early INT handler\n";
    if (write(1, msg, sizeof msg - 1) < 0) {
    }
}

/* referenced by early_main so that --as-needed keeps the dependency */
int early_lib_loaded(void) { return 1; }

__attribute__((constructor)) static void early_ctor(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = early_int;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    atexit(early_exitfn);
}
