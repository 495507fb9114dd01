/* SPDX-License-Identifier: MIT */
/* An ordinary program that never gets a signal: it registers an exit
 * function, ignores SIGPIPE, forks a child that exits, and exits.
 * With "raise" it then also catches a SIGTERM it sends itself; with "term"
 * it sends itself one it does not catch (the shim's signal exit). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void bye(void) { printf("bye\n"); }
static void on_term(int sig) { (void)sig; }

int main(int argc, char **argv)
{
    atexit(bye);
    signal(SIGPIPE, SIG_IGN);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        _exit(0);
    waitpid(p, NULL, 0);
    if (argc > 1 && strcmp(argv[1], "raise") == 0) {
        signal(SIGTERM, on_term);
        raise(SIGTERM);
    }
    if (argc > 1 && strcmp(argv[1], "term") == 0)
        raise(SIGTERM);
    return 0;
}
