/* SPDX-License-Identifier: MIT */
/* A parent and a forked child in their own process group, each with its
 * own exit function; the test sends SIGINT to the whole group. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static const char *who = "parent";
static void cleanup(void) { printf("%s cleanup\n", who); }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    setpgid(0, 0);
    atexit(cleanup);
    int up[2];
    if (pipe(up) != 0)
        return 1;
    pid_t c = fork();
    if (c == 0) {
        who = "child";
        atexit(cleanup); /* its own: the parent's is private to the parent */
        char x = 'x';
        if (write(up[1], &x, 1) < 0)
            _exit(1);
        for (;;)
            pause();
    }
    char x, line[64];
    if (read(up[0], &x, 1) != 1)
        return 1;
    snprintf(line, sizeof line, "child %d", (int)c);
    ready(line);
    int st;
    waitpid(c, &st, 0);
    printf("child %s\n", WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited");
    exit(0);
}
