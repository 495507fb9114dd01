/* SPDX-License-Identifier: MIT */
/* 200 children, each with its own private exit function, under a parent
 * with one private and one shared function; the test sends SIGTERM to the
 * whole process group. */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define CHILDREN 200
static int me = -1;

static void shared_fn(void *arg)
{
    (void)arg;
    printf("shared in %d\n", me);
}
static void parent_private(void) { printf("parent private in %d\n", me); }
static void child_private(void) { printf("child private in %d\n", me); }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    setpgid(0, 0);
    int (*reg)(void (*)(void *), void *, int) =
        (int (*)(void (*)(void *), void *, int))dlsym(RTLD_DEFAULT, "multiexit_register");
    if (!reg)
        return 3;
    reg(shared_fn, NULL, 1);
    atexit(parent_private);
    int up[2];
    if (pipe(up) != 0)
        return 1;
    for (int i = 0; i < CHILDREN; i++) {
        pid_t p = fork();
        if (p == 0) {
            me = i;
            atexit(child_private);
            char c = 'u';
            if (write(up[1], &c, 1) < 0)
                _exit(1);
            for (;;)
                pause();
        }
    }
    char c;
    for (int i = 0; i < CHILDREN; i++)
        if (read(up[0], &c, 1) != 1)
            return 1;
    ready("ready");
    for (;;)
        if (wait(NULL) < 0)
            pause();
}
