/* SPDX-License-Identifier: MIT */
/* A component for the chained-dispatch benchmark: a library of its own
 * with a SIGTERM handler (handlers of different components chain; a
 * program's own handlers replace each other). Built four times. */
#include <signal.h>

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)

volatile long CAT(COMP, _sink);
void CAT(COMP, _handler)(int s);
void CAT(COMP, _install)(void);

void CAT(COMP, _handler)(int s) { CAT(COMP, _sink) += s; }
void CAT(COMP, _install)(void) { signal(SIGTERM, CAT(COMP, _handler)); }
