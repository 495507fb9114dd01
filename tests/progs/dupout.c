/* SPDX-License-Identifier: MIT */
/* A line left in stdout's buffer (a pipe: fully buffered) when the process
 * forks; the child is killed by SIGTERM. Without the shim the child's copy
 * of the buffer dies with it and the line appears once. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    printf("parent line\n");
    pid_t p = fork();
    if (p == 0) {
        kill(getpid(), SIGTERM);
        for (;;)
            pause();
    }
    int st = 0;
    waitpid(p, &st, 0);
    printf("child %s %d\n", WIFSIGNALED(st) ? "killed by" : "exited", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}
