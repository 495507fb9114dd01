/* SPDX-License-Identifier: MIT */
/* N registrations through __cxa_atexit (what atexit compiles to), then
 * exit(): every one runs, newest first. Usage: many_atexit N */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern void *__dso_handle;
int __cxa_atexit(void (*)(void *), void *, void *);

static long expect, bad;

static void fn(void *arg)
{
    if ((long)(intptr_t)arg != expect)
        bad++;
    expect--;
    if (expect == 0)
        printf("ran all, %ld out of order\n", bad);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    for (long i = 1; i <= n; i++)
        __cxa_atexit(fn, (void *)(intptr_t)i, __dso_handle);
    expect = n;
    exit(0);
}
