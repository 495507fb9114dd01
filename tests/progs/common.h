/* SPDX-License-Identifier: MIT */
/* Shared by the test programs: report readiness on fd 3 (see harness.h). */
#ifndef ME_PROGS_COMMON_H
#define ME_PROGS_COMMON_H
#include <string.h>
#include <unistd.h>

static inline void ready(const char *what)
{
    char buf[256];
    size_t n = strlen(what);
    if (n > sizeof buf - 1)
        n = sizeof buf - 1;
    memcpy(buf, what, n);
    buf[n++] = '\n';
    if (write(3, buf, n) < 0) {
        /* no harness: nothing to tell */
    }
}

/* Blocks until stdin reaches EOF (the test closes it). */
static inline void wait_stdin_eof(void)
{
    char c;
    while (read(0, &c, 1) > 0) {
    }
}
#endif
