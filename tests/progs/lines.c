/* SPDX-License-Identifier: MIT */
/* Writes numbered lines through stdio (fully buffered, to FILE) in a tight
 * loop until killed. Usage: lines FILE */
#include <stdio.h>

#include "common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 1;
    ready("ready");
    for (unsigned long i = 1;; i++)
        fprintf(f, "line %lu\n", i);
}
