/* SPDX-License-Identifier: MIT */
#ifndef ME_INTERP_PYTHON_H
#define ME_INTERP_PYTHON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../config/me_config.h"

/* CPython unwinds on a managed signal (python.c). */

enum { ME_PY_UNDECIDED = 0, ME_PY_DONE = 3 };
extern _Atomic int me_python_state;
void me_python_probe(void);
/* At every sigaction call for a managed signal: CPython's signal module
 * set-up (which asks for every signal) is where the Python path is set
 * up; after that, or in any other program, one load and a branch. */
static inline __attribute__((always_inline)) void me_python_on_sigaction(void)
{
    if (__builtin_expect(atomic_load_explicit(&me_python_state, memory_order_relaxed) != ME_PY_DONE, 0))
        me_python_probe();
}

/* Mapped in a CPython process only, NULL elsewhere: its first word is the
 * set of managed signals whose Python-level disposition is the shim's
 * SystemExit handler. */
extern _Atomic uint64_t *_Atomic me_python_mem;
static inline __attribute__((always_inline)) bool me_python_takes(int sig)
{
    _Atomic uint64_t *m = atomic_load_explicit(&me_python_mem, memory_order_relaxed);
    return m && (atomic_load_explicit(m, memory_order_relaxed) & ME_SIGBIT(sig));
}
/* After the chain ran for one of them: the main thread, which alone runs
 * Python handlers, is woken if the signal landed elsewhere. */
void me_python_delivered(int sig);

#endif
