/* SPDX-License-Identifier: MIT */
/* Built against the installed header and library only (pkg-config or
 * find_package), linked with -lmultiexit: the API without LD_PRELOAD. */
#include <multiexit.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void cleanup(void *arg) { printf("cleanup %s\n", (const char *)arg); }

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (multiexit_register(cleanup, "registered", MULTIEXIT_PRIVATE) != 0)
        return 1;
    multiexit_register(cleanup, "again", MULTIEXIT_SHARED);
    printf("version %s\n", multiexit_version());
    printf("set_signals(bogus)=%d\n", multiexit_set_signals("TERM,BOGUS"));
    printf("set_signals(TERM,HUP)=%d\n", multiexit_set_signals("TERM,HUP"));
    printf("unregister=%d\n", multiexit_unregister(cleanup));
    multiexit_register(cleanup, "kept", MULTIEXIT_PRIVATE);
    return 0;
}
