/* SPDX-License-Identifier: MIT */
/* A library component for the transparency tests (test_transparency.c):
 * its handler lives in this shared object, so under the contract's component
 * rule it belongs to a component other than the program's. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void lib_handler(int sig)
{
    (void)sig;
    if (write(1, "lib\n", 4) < 0) {
    }
}

/* Installs lib_handler for sig with sigaction() and the given flags. */
void tlib_install(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = lib_handler;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

/* ---- code that forwards by hand (issue 22): it reads the handler it
 * replaces and calls it itself, as readline, Go and the JVM do ---- */
static struct sigaction saved;
static volatile sig_atomic_t pending;

static void forward_saved(int sig)
{
    if (saved.sa_handler != SIG_DFL && saved.sa_handler != SIG_IGN)
        saved.sa_handler(sig);
}

static void forwarder(int sig)
{
    if (write(1, "lib\n", 4) < 0) {
    }
    forward_saved(sig);
}

/* Reads the current handler, then installs its own: with a query first
 * (Go's runtime), or in the install itself (one_call). */
void tlib_forward_install(int sig, int one_call)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forwarder;
    if (one_call) {
        sigaction(sig, &sa, &saved);
    } else {
        sigaction(sig, NULL, &saved);
        sigaction(sig, &sa, NULL);
    }
}

/* readline at a prompt: its handler only notes the signal; later, outside
 * the handler, it puts the saved handler back, raises the signal again
 * and installs its own once more (tlib_later_deliver). */
static void noter(int sig)
{
    if (write(1, "lib: noted\n", 11) < 0) {
    }
    pending = sig;
}

void tlib_later_install(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = noter;
    sigaction(sig, &sa, &saved);
}

void tlib_later_deliver(void)
{
    int sig = pending;
    if (!sig)
        return;
    pending = 0;
    sigaction(sig, &saved, NULL);
    raise(sig);
    tlib_later_install(sig);
}

/* ---- where a chained handler runs ---- */
static void where_lib(int sig)
{
    stack_t ss;
    (void)sig;
    const char *m = sigaltstack(NULL, &ss) == 0 && (ss.ss_flags & SS_ONSTACK)
                        ? "lib: alternate stack\n"
                        : "lib: main stack\n";
    if (write(1, m, strlen(m)) < 0) {
    }
}

void tlib_install_where(int sig, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = where_lib;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}
