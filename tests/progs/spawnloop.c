/* SPDX-License-Identifier: MIT */
/* A tight loop of vfork + _exit, posix_spawn and fork, with an exit
 * function that prints one line; its own process group, for the test's
 * SIGTERM to the group at a random moment. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

extern char **environ;

static void bye(void) { printf("atexit in %d\n", (int)getpid()); }

int main(void)
{
    setpgid(0, 0);
    atexit(bye);
    ready("ready");
    char *const argv[] = {"/bin/true", NULL};
    for (;;) {
        pid_t c = vfork();
        if (c == 0)
            _exit(0);
        waitpid(c, NULL, 0);
        if (posix_spawn(&c, argv[0], NULL, NULL, argv, environ) == 0)
            waitpid(c, NULL, 0);
        c = fork();
        if (c == 0)
            _exit(0);
        waitpid(c, NULL, 0);
    }
}
