/* SPDX-License-Identifier: MIT */
/* Stack walks across the shim's frames: a SIGTERM handler and an exit
 * function each walk their stack (glibc's backtrace, the unwinder that
 * C++ exceptions and thread cancellation use too) and print the named
 * frames they find. Under the shim the walk passes through its dispatcher
 * or its exit path, so it reaches main only if those frames can be
 * unwound. Built with -rdynamic so that dladdr names main and friends, and
 * without sibling calls so that every function keeps its frame.
 *   unwind signal | unwind exit */
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void walk(const char *who)
{
    void *pc[64];
    int n = backtrace(pc, 64);
    printf("%s:", who);
    for (int i = 0; i < n; i++) {
        Dl_info d;
        if (dladdr(pc[i], &d) && d.dli_sname &&
            (strcmp(d.dli_sname, "main") == 0 || strncmp(d.dli_sname, "prog_", 5) == 0))
            printf(" %s", d.dli_sname);
    }
    printf("\n");
}

void prog_handler(int sig);
__attribute__((noinline, visibility("default"))) void prog_handler(int sig)
{
    (void)sig;
    walk("handler");
}

void prog_exit_function(void);
__attribute__((noinline, visibility("default"))) void prog_exit_function(void) { walk("exit function"); }

void prog_deep(const char *mode);
__attribute__((noinline, visibility("default"))) void prog_deep(const char *mode)
{
    /* through a pointer: a call to exit known not to return would leave a
     * return address past this function's end, and dladdr would name the
     * next one */
    void (*volatile leave)(int) = exit;
    if (strcmp(mode, "signal") == 0)
        raise(SIGTERM);
    else
        leave(0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "signal";
    void *warm[4];
    backtrace(warm, 4); /* loads the unwinder now, not inside a handler */
    signal(SIGTERM, prog_handler);
    atexit(prog_exit_function);
    prog_deep(mode);
    printf("returned\n");
    return 0;
}
