/* SPDX-License-Identifier: MIT */
#include <stdio.h>
int main(void)
{
    printf("static program ran\n");
    return 0;
}
