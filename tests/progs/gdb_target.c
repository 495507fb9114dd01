/* SPDX-License-Identifier: MIT */
/* For tests/debuggers.sh: a handler the dispatcher calls, reached from
 * main through raise(). */
#include <signal.h>
#include <stdio.h>

static volatile sig_atomic_t got;

void on_term(int sig);
void on_term(int sig) { got = sig; }

int main(void)
{
    signal(SIGTERM, on_term);
    raise(SIGTERM);
    printf("got %d\n", (int)got);
    return 0;
}
