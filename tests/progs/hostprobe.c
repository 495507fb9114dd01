/* SPDX-License-Identifier: MIT */
/* For tests/whole_host.sh: reports, on fd 3, what a program sees of the
 * shim and of its signal dispositions, then waits for a signal. Its atexit
 * function writes "cleanup" on stdout.
 *   shim=0|1       libmultiexit is mapped in this process
 *   secure=N       getauxval(AT_SECURE)
 *   term=...       sigaction(SIGTERM) as the program sees it
 *   int=same|differ  the SIGINT handler the program just installed, read
 *                  back through sigaction, against what the kernel holds
 *   caught=HEX     the kernel's SigCgt mask (/proc/self/status) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

static void cleanup(void)
{
    static const char msg[] = "cleanup\n";
    if (write(1, msg, sizeof msg - 1) < 0) {
        /* nothing to do */
    }
}

static void on_int(int sig) { (void)sig; }

/* The kernel's own record of a disposition (struct kernel_sigaction). */
struct ksa {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

static int line_has(const char *file, const char *needle)
{
    FILE *f = fopen(file, "r");
    char line[4096];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

static void sigcgt(char out[64])
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    snprintf(out, 64, "?");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "SigCgt: %63s", out) == 1)
            break;
    if (f)
        fclose(f);
}

int main(void)
{
    atexit(cleanup);
    struct sigaction a, seen;
    memset(&a, 0, sizeof a);
    a.sa_handler = on_int;
    sigaction(SIGINT, &a, NULL);
    sigaction(SIGINT, NULL, &seen);
    struct ksa k;
    syscall(SYS_rt_sigaction, SIGINT, NULL, &k, 8);
    struct sigaction term;
    sigaction(SIGTERM, NULL, &term);
    char caught[64], report[256];
    sigcgt(caught);
    snprintf(report, sizeof report, "shim=%d secure=%lu term=%s int=%s caught=%s",
             line_has("/proc/self/maps", "libmultiexit"), getauxval(AT_SECURE),
             term.sa_handler == SIG_DFL ? "default" : "other",
             (void *)seen.sa_handler == k.handler ? "same" : "differ", caught);
    ready(report);
    for (;;)
        pause();
}
