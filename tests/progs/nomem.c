/* SPDX-License-Identifier: MIT */
/* A program with almost no address space left (RLIMIT_AS just above what
 * it maps) installs a SIGTERM handler and waits for the signal. Under the
 * shim, the handler chains' memory cannot be mapped: the program must work
 * exactly as without the shim. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t got;
static void on_term(int sig) { got = sig; }

int main(void)
{
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f || fscanf(f, "%ld", &pages) != 1)
        return 2;
    fclose(f);
    struct rlimit r;
    r.rlim_cur = r.rlim_max = (rlim_t)(pages + 32) * (rlim_t)sysconf(_SC_PAGESIZE);
    if (setrlimit(RLIMIT_AS, &r) != 0)
        return 3;
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    if (signal(SIGTERM, on_term) == SIG_ERR)
        return 4;
    ready("ready");
    while (!got)
        sigsuspend(&old);
    printf("handler ran for signal %d\n", (int)got);
    return 0;
}
