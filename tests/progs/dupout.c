/* SPDX-License-Identifier: MIT */
/* A line left in stdout's buffer (a pipe: fully buffered) when the process
 * forks; the child is then killed by SIGTERM. Without the shim the child's
 * copy of the buffer dies with it and the line appears once. Modes:
 *   inherit  the child is killed at once
 *   own      the child adds a line of its own first (the shim's cleanup
 *            writes that one, not its parent's)
 *   flushed  the child flushes (writing its parent's line a second time, as
 *            it does without the shim), then adds a line of its own
 *   file     as "own", through a stream the program opened (argv[2]) */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "inherit";
    FILE *out = stdout;
    if (strcmp(mode, "file") == 0 && argc > 2 && !(out = fopen(argv[2], "w")))
        return 2;
    fprintf(out, "parent line\n");
    pid_t p = fork();
    if (p == 0) {
        if (strcmp(mode, "flushed") == 0)
            fflush(out);
        if (strcmp(mode, "inherit") != 0)
            fprintf(out, "child line\n");
        kill(getpid(), SIGTERM);
        for (;;)
            pause();
    }
    int st = 0;
    waitpid(p, &st, 0);
    fprintf(out, "child %s %d\n", WIFSIGNALED(st) ? "killed by" : "exited",
            WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}
