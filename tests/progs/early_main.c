/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

int early_lib_loaded(void);

static void main_exitfn(void) { printf("main exitfn\n"); }

int main(void)
{
    if (!early_lib_loaded())
        return 1;
    atexit(main_exitfn);
    ready("ready");
    char c;
    /* one byte from the test after each SIGINT round */
    while (read(0, &c, 1) == 1) {
        ready("alive");
    }
    for (;;)
        pause();
}
