/* SPDX-License-Identifier: MIT */
/* Another preload library, to check that the wrapper keeps LD_PRELOAD. */
#include <unistd.h>

__attribute__((constructor)) static void other(void)
{
    static const char msg[] = "other preload loaded\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
}
