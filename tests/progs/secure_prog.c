/* Linked with -lmultiexit; run setgid by the test to get AT_SECURE. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "common.h"

static void exitfn(void) { printf("secure exitfn\n"); }

int main(void)
{
    char line[32];
    atexit(exitfn);
    snprintf(line, sizeof line, "secure=%lu", getauxval(AT_SECURE));
    ready(line);
    for (;;)
        pause();
}
