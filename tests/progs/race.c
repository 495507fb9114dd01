/* SPDX-License-Identifier: MIT */
/* A signal-initiated exit on one thread while main returns: only one of
 * them may walk glibc's exit list (glibc 2.36 has no lock for it).
 *
 * main blocks SIGTERM and starts a thread that takes it (blocked in a read
 * that never completes). The newest exit function, run by the signal exit,
 * says "gate" on fd 3, wakes main and waits for a byte on stdin. main then
 * says "returning" and returns from main while the gate is still closed. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

static int wake[2], never[2];

static void older(void) { printf("older exitfn\n"); }
__attribute__((destructor)) static void dtor(void) { printf("destructor\n"); }

static void gate(void)
{
    char c = 'g';
    printf("gate start\n");
    ready("gate");
    if (write(wake[1], &c, 1) < 0 || read(0, &c, 1) < 0) {
    }
    printf("gate end\n");
}

static void *taker(void *arg)
{
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    char c;
    for (;;)
        if (read(never[0], &c, 1) < 0)
            continue;
    return NULL;
}

int main(void)
{
    if (pipe(wake) != 0 || pipe(never) != 0)
        return 1;
    atexit(older);
    atexit(gate);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    pthread_t t;
    pthread_create(&t, NULL, taker, NULL);
    ready("ready");
    char c;
    if (read(wake[0], &c, 1) < 0)
        return 1;
    ready("returning");
    return 0;
}
