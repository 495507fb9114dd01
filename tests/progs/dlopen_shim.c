/* SPDX-License-Identifier: MIT */
/* Loads the shim with dlopen() after changing its environment (setenv
 * moves environ off the initial stack: the library's constructor is then
 * handed that environ, with no auxiliary vector behind it), registers an
 * exit function, says ready on fd 3 and waits for a signal.
 * Usage: dlopen_shim LIBRARY */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

static void cleanup(void) { printf("cleanup\n"); }

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    for (int i = 0; i < 64; i++) { /* enough to move environ */
        char name[32];
        snprintf(name, sizeof name, "DLOPEN_SHIM_%d", i);
        setenv(name, "x", 1);
    }
    if (!dlopen(argv[1], RTLD_NOW)) {
        fprintf(stderr, "%s\n", dlerror());
        return 3;
    }
    atexit(cleanup);
    printf("main line\n");
    ready("ready");
    for (;;)
        pause();
}
