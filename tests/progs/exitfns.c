/* SPDX-License-Identifier: MIT */
/* Every kind of exit function, and buffered output. Modes:
 *   wait         ready, then wait for a signal
 *   exit         exit(143) (the status a SIGTERM cleanup passes to on_exit)
 *   exit-int     exit(130)
 *   return       return 143 from main
 *   ignore       signal(SIGTERM, SIG_IGN), ready, exit(0) at stdin EOF
 *   inherited    re-exec itself with SIGTERM ignored, then as "check-ign"
 *   threads      4 threads, ready, wait for a signal
 *   block        an exit function that never returns, ready, wait
 *   stdin        ready, exit(0) at stdin EOF
 *   raw-default  SIGTERM set to SIG_DFL by the system call itself (past any
 *                library), ready, exit(0) at stdin EOF */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

static void a1(void) { printf("atexit 1\n"); }
static void a2(void) { printf("atexit 2\n"); }
static void a3(void) { printf("atexit 3\n"); }
static void oe(int status, void *arg) { printf("on_exit status=%d arg=%s\n", status, (char *)arg); }
__attribute__((destructor)) static void dtor(void) { printf("destructor\n"); }
static void blocker(void)
{
    printf("blocker entered\n");
    fflush(stdout);
    for (;;)
        pause();
}
static void *idle(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "wait";
    if (strcmp(mode, "inherited") == 0) {
        signal(SIGTERM, SIG_IGN);
        execl("/proc/self/exe", argv[0], "check-ign", (char *)NULL);
        return 99;
    }
    atexit(a1);
    atexit(a2);
    on_exit(oe, "x");
    atexit(a3);
    printf("main line\n"); /* stays in the buffer: stdout is a pipe */

    if (strcmp(mode, "exit") == 0)
        exit(143);
    if (strcmp(mode, "exit-int") == 0)
        exit(130);
    if (strcmp(mode, "exit-hup") == 0)
        exit(129);
    if (strcmp(mode, "return") == 0)
        return 143;
    if (strcmp(mode, "raw-default") == 0) {
        struct {
            void *handler;
            unsigned long flags;
            void *restorer;
            unsigned long mask;
        } k = {(void *)SIG_DFL, 0, NULL, 0};
        if (syscall(SYS_rt_sigaction, SIGTERM, &k, NULL, 8) != 0)
            return 99;
        ready("ready");
        wait_stdin_eof();
        exit(0);
    }
    if (strcmp(mode, "ignore") == 0 || strcmp(mode, "check-ign") == 0 ||
        strcmp(mode, "stdin") == 0) {
        if (strcmp(mode, "ignore") == 0)
            signal(SIGTERM, SIG_IGN);
        if (strcmp(mode, "check-ign") == 0) {
            /* the idiom of programs that respect nohup-style ignoring */
            struct sigaction old;
            sigaction(SIGTERM, NULL, &old);
            printf("inherited %s\n", old.sa_handler == SIG_IGN ? "SIG_IGN" : "other");
        }
        ready("ready");
        wait_stdin_eof();
        exit(0);
    }
    if (strcmp(mode, "threads") == 0) {
        pthread_t t;
        for (int i = 0; i < 4; i++)
            pthread_create(&t, NULL, idle, NULL);
    }
    if (strcmp(mode, "block") == 0)
        atexit(blocker);
    ready("ready");
    for (;;)
        pause();
}
