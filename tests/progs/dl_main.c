/* SPDX-License-Identifier: MIT */
/* dlopen a library that registers an exit function, dlclose it (the
 * function runs then, as glibc does), then wait for a signal. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

static void main_exitfn(void) { printf("main exitfn\n"); }

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    atexit(main_exitfn);
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    void (*reg)(void) = (void (*)(void))dlsym(h, "lib_register");
    reg();
    printf("before dlclose\n");
    dlclose(h);
    printf("after dlclose\n");
    ready("ready");
    for (;;)
        pause();
}
