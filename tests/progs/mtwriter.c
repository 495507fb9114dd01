/* SPDX-License-Identifier: MIT */
/* One thread writes numbered lines ("line N") to buffered stdout in a loop
 * while main waits for a signal. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "common.h"

static void *writer(void *arg)
{
    (void)arg;
    for (unsigned long i = 1;; i++) {
        printf("line %lu\n", i);
        if (i == 1000)
            ready("writing");
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, writer, NULL) != 0)
        return 3;
    for (;;)
        pause();
}
