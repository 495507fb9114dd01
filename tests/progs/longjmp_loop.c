/* SPDX-License-Identifier: MIT */
/* A REPL-like program: its SIGINT handler siglongjmps back to the loop,
 * and the loop does a sigaction save/restore all the time, so signals land
 * inside sigaction. Prints how many times it jumped, at stdin EOF.
 * (One signal at a time: a flood would nest handlers inside siglongjmp's
 * own unblocking, with or without the shim, until the stack overflows.) */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "common.h"

static sigjmp_buf top;
static volatile sig_atomic_t jumps;

static void to_top(int sig)
{
    (void)sig;
    jumps++;
    siglongjmp(top, 1);
}
static void other(int sig) { (void)sig; }

int main(void)
{
    struct sigaction sa, mine, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = to_top;
    sigaction(SIGINT, &sa, NULL);
    memset(&mine, 0, sizeof mine);
    mine.sa_handler = other;
    fcntl(0, F_SETFL, O_NONBLOCK);
    /* The jump target exists before the test is told to send: a SIGINT
     * between ready() and sigsetjmp() would jump through a zeroed buffer. */
    if (sigsetjmp(top, 1) == 0)
        ready("ready");
    else if (write(3, "j", 1) != 1)
        return 1; /* one byte per jump: the test sends the next SIGINT then */
    for (;;) {
        sigaction(SIGTERM, &mine, &old); /* managed too: both paths */
        sigaction(SIGTERM, &old, NULL);
        sigaction(SIGINT, &sa, &old);
        char c;
        ssize_t r = read(0, &c, 1);
        if (r == 0)
            break;
    }
    printf("jumps=%d\n", (int)jumps);
    return 0;
}
