/* SPDX-License-Identifier: MIT */
/* The public API's argument checks, linked with the library: a NULL
 * function or an unknown flag fails at the call with EINVAL (as glibc's
 * atexit(NULL) fails at once), instead of crashing the exit later and
 * losing the buffered output. A valid registration still runs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../include/multiexit.h"

static void bye(void *arg)
{
    (void)arg;
    printf("bye\n");
}

static void report(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r == 0 ? "ok" : errno == EINVAL ? "EINVAL" : strerror(errno));
}

int main(void)
{
    errno = 0;
    report("null function", multiexit_register(NULL, NULL, MULTIEXIT_PRIVATE));
    errno = 0;
    report("unknown flag", multiexit_register(bye, NULL, 2));
    errno = 0;
    report("negative flags", multiexit_register(bye, NULL, -1));
    report("valid", multiexit_register(bye, NULL, MULTIEXIT_SHARED));
    printf("buffered line\n"); /* stdout is a pipe: flushed at exit */
    return 0;
}
