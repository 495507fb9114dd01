/* SPDX-License-Identifier: MIT */
/* What a forked child pays in page faults, as a shell's subshell does:
 * the parent handles the managed signals (the shim's chains are in use),
 * the child is measured right after fork() returns, and again after it
 * sets them back to SIG_DFL. Prints "fork N reset M": the child's minor
 * faults (counted from its birth) at each point. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_signal(int sig) { (void)sig; }

static long faults(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_minflt;
}

int main(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    struct sigaction a;
    memset(&a, 0, sizeof a);
    a.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &a, NULL);
    faults(); /* bound before the fork, as the child's calls will be */
    int fds[2];
    if (pipe(fds) != 0)
        return 1;
    pid_t p = fork();
    if (p == 0) {
        long at_fork = faults();
        a.sa_handler = SIG_DFL;
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            sigaction(sigs[i], &a, NULL);
        long after_reset = faults();
        char line[64];
        int n = snprintf(line, sizeof line, "fork %ld reset %ld\n", at_fork, after_reset);
        (void)!write(fds[1], line, (size_t)n);
        _exit(0);
    }
    close(fds[1]);
    char line[64] = "";
    ssize_t n = read(fds[0], line, sizeof line - 1);
    if (n > 0)
        line[n] = 0;
    waitpid(p, NULL, 0);
    fputs(line, stdout);
    return 0;
}
