/* SPDX-License-Identifier: MIT */
/* A "component": a shared library that installs its own SIGTERM handler,
 * unaware of the others. Built several times with COMP set to its name. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STR2(x) #x
#define STR(x) STR2(x)
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

static void handler(int sig)
{
    (void)sig;
    static const char msg[] = STR(COMP) " handler\n";
    if (write(1, msg, sizeof msg - 1) < 0) {
    }
}

/* with_sigaction: install with sigaction(), else with signal() */
void CAT(COMP, _install)(int with_sigaction)
{
    if (with_sigaction) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = handler;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGTERM, &sa, NULL);
    } else {
        signal(SIGTERM, handler);
    }
}

/* the same component's other handlers, for the chaining tests */
static void say(const char *s)
{
    if (write(1, s, strlen(s)) < 0) {
    }
}

static void info3(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char buf[128];
    snprintf(buf, sizeof buf, STR(COMP) " info3 sig=%d pid=%d code=%d value=%d\n", sig,
             (int)si->si_pid, si->si_code, si->si_value.sival_int);
    say(buf);
}

void CAT(COMP, _install_info)(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info3;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGTERM, &sa, NULL);
}

static void masked(int sig)
{
    (void)sig;
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    char buf[128];
    snprintf(buf, sizeof buf, STR(COMP) " masked: TERM %s, USR1 %s\n",
             sigismember(&cur, SIGTERM) ? "blocked" : "open",
             sigismember(&cur, SIGUSR1) ? "blocked" : "open");
    say(buf);
}

/* SIGTERM with SIGUSR1 in the handler's mask */
void CAT(COMP, _install_masked)(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = masked;
    sigaddset(&sa.sa_mask, SIGUSR1);
    sigaction(SIGTERM, &sa, NULL);
}

static void quiet(int sig) { (void)sig; }
static void quiet2(int sig) { (void)sig; }

/* Installs its own handlers for sig in turn, never reading the old one:
 * each replaces the component's previous one, and the other components'
 * stay chained. (The save/restore idiom, sigaction(sig, &mine, &old) then
 * sigaction(sig, &old, NULL), reads the old one: between the two calls
 * the component has taken the signal over, as without the shim.) */
void CAT(COMP, _alternate)(int sig)
{
    struct sigaction mine;
    memset(&mine, 0, sizeof mine);
    mine.sa_handler = quiet;
    sigaction(sig, &mine, NULL);
    mine.sa_handler = quiet2;
    sigaction(sig, &mine, NULL);
}
