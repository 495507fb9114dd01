/* SPDX-License-Identifier: MIT */
/* Linked with -lmultiexit; run setgid by the test to get AT_SECURE. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "common.h"
#include "multiexit.h"

static void exitfn(void) { printf("secure exitfn\n"); }

int main(void)
{
    char line[96];
    atexit(exitfn);
    int r = multiexit_set_signals("TERM,HUP");
    int err = errno;
    struct sigaction cur;
    sigaction(SIGTERM, NULL, &cur);
    snprintf(line, sizeof line, "secure=%lu set_signals=%d%s term=%s", getauxval(AT_SECURE), r,
             r != 0 && err == EPERM ? "/EPERM" : "",
             cur.sa_handler == SIG_DFL ? "default" : "other");
    ready(line);
    for (;;)
        pause();
}
