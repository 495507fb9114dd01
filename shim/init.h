/* SPDX-License-Identifier: MIT */
#ifndef ME_INIT_H
#define ME_INIT_H

#include <stdatomic.h>
#include <stdbool.h>

/* One-time initialisation (init.c), run by the constructor or by whichever
 * interposed function is called first. */
void me_init_slow(void);
extern _Atomic int me_init_state; /* 0 none, 1 running, 2 done */
/* A privileged program (AT_SECURE): nothing managed, every call to libc. */
extern bool me_left_alone;
#define ME_LEFT_ALONE() __builtin_expect(me_left_alone, 0)
/* always_inline: the -Os files would otherwise call it out of line */
static inline __attribute__((always_inline)) void me_ensure_init(void)
{
    if (__builtin_expect(atomic_load_explicit(&me_init_state, memory_order_acquire) != 2, 0))
        me_init_slow();
}

#endif
