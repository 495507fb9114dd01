/* SPDX-License-Identifier: MIT */
/* A plugin for the transparency tests: loaded with dlopen, installs its own
 * SIGTERM handler, then unloaded by the host with dlclose. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void plugin_handler(int sig)
{
    (void)sig;
    if (write(1, "plugin\n", 7) < 0) {
    }
}

void plugin_install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plugin_handler;
    sigaction(SIGTERM, &sa, NULL);
}
