/* SPDX-License-Identifier: MIT */
/* tests/go_cgo.sh: an "early" C library of a Go program built with cgo. Its
 * constructor installs a SIGTERM handler before the Go runtime starts, so
 * the Go runtime reads it as the previous handler and forwards to it by
 * itself (only for its default action, never for signal.Notify). The shim
 * must then leave it to Go: the handler runs exactly as often as without
 * the shim. Installs only in the early-* modes of the program (argv[1]:
 * glibc passes argc, argv and envp to the constructors of libraries). */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t calls;

static void early_handler(int sig)
{
    static const char line[] = "early handler\n";
    (void)sig;
    calls++;
    (void)!write(1, line, sizeof line - 1);
}

/* Times the handler ran (the Go program prints it). */
int early_calls(void)
{
    return calls;
}

__attribute__((constructor)) static void early_install(int argc, char **argv, char **envp)
{
    (void)envp;
    if (argc < 2 || strncmp(argv[1], "early-", 6) != 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = early_handler; /* a plain C handler: no SA_ONSTACK */
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0)
        _exit(3);
}
