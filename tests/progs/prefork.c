/* SPDX-License-Identifier: MIT */
/* A prefork master: pid file removed by an atexit function registered
 * before forking 8 workers, each with its own atexit function.
 *   prefork exit PIDFILE   workers exit(0) at once; master exits at stdin EOF
 *   prefork term PIDFILE   workers wait for SIGTERM; the test kills them,
 *                          then the master */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define WORKERS 8
static const char *pidfile;
static int worker_no = -1;

static void master_cleanup(void)
{
    printf("master cleanup in %s\n", worker_no < 0 ? "master" : "a WORKER");
    unlink(pidfile);
}

static void worker_cleanup(void) { printf("worker %d cleanup\n", worker_no); }

int main(int argc, char **argv)
{
    if (argc < 3)
        return 2;
    int term = strcmp(argv[1], "term") == 0;
    pidfile = argv[2];
    setvbuf(stdout, NULL, _IOLBF, 0);
    FILE *f = fopen(pidfile, "w");
    fprintf(f, "%d\n", (int)getpid());
    fclose(f);
    atexit(master_cleanup);

    int up[2];
    if (pipe(up) != 0)
        return 1;
    pid_t pids[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            worker_no = i;
            atexit(worker_cleanup);
            if (!term)
                exit(0);
            char c = 'u';
            if (write(up[1], &c, 1) < 0)
                _exit(1);
            for (;;)
                pause();
        }
    }
    char line[256] = "workers";
    if (term) {
        char c;
        for (int i = 0; i < WORKERS; i++)
            if (read(up[0], &c, 1) != 1)
                return 1;
        for (int i = 0; i < WORKERS; i++)
            snprintf(line + strlen(line), sizeof line - strlen(line), " %d", (int)pids[i]);
    }
    ready(line);
    int by_term = 0, clean = 0;
    for (int i = 0; i < WORKERS; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        by_term += WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM;
        clean += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    printf("reaped: %d by SIGTERM, %d exit 0\n", by_term, clean);
    ready("reaped");
    wait_stdin_eof();
    exit(0);
}
