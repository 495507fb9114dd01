/* SPDX-License-Identifier: MIT */
/* Threads busy in malloc/free/fprintf; the exit function allocates and
 * prints. A signal-initiated exit that ran on a thread holding malloc's
 * arena lock would deadlock here. Usage: busy NTHREADS */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static FILE *sink;

static void exitfn(void)
{
    void *blocks[256];
    for (int i = 0; i < 256; i++)
        blocks[i] = malloc((size_t)(16 + i * 7));
    char *s = strdup("exitfn complete");
    fprintf(stdout, "%s %d\n", s, (int)(sizeof blocks / sizeof blocks[0]));
    for (int i = 0; i < 256; i++)
        free(blocks[i]);
    free(s);
}

static void churn(unsigned seed)
{
    void *keep[64] = {0};
    for (unsigned long i = 0;; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned k = (seed >> 16) % 64;
        free(keep[k]);
        keep[k] = malloc((seed >> 8) % 4096 + 1);
        fprintf(sink, "%lu %u %s\n", i, k, "busy line");
        if (i % 64 == 0)
            fflush(sink);
    }
}

static void *worker(void *arg)
{
    churn((unsigned)(uintptr_t)arg);
    return NULL;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3;
    sink = fopen("/dev/null", "w");
    atexit(exitfn);
    for (int i = 0; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, worker, (void *)(uintptr_t)(i + 1));
    }
    ready("ready");
    churn(99);
}
