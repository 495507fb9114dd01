/* SPDX-License-Identifier: MIT */
/* A "legacy daemon" that was never taught about SIGTERM: it writes a pid
 * file, logs through stdio (fully buffered, as any log file), and removes the
 * pid file in an atexit function. Killed by SIGTERM without the shim, the pid
 * file stays behind and the buffered log lines are lost.
 *
 * usage: legacy-daemon PIDFILE LOGFILE
 * Prints "ready" on stdout once it is serving, then waits for signals. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *pidfile;
static FILE *logf;

static void remove_pidfile(void)
{
    fprintf(logf, "shutting down, removing %s\n", pidfile);
    unlink(pidfile);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PIDFILE LOGFILE\n", argv[0]);
        return 2;
    }
    pidfile = argv[1];
    FILE *pf = fopen(pidfile, "w");
    logf = fopen(argv[2], "w");
    if (!pf || !logf) {
        perror("legacy-daemon");
        return 1;
    }
    fprintf(pf, "%d\n", (int)getpid());
    fclose(pf);
    atexit(remove_pidfile);

    for (int i = 1; i <= 5; i++)
        fprintf(logf, "handled request %d\n", i);
    printf("ready\n");
    fflush(stdout);
    for (;;)
        pause();
}
