/* SPDX-License-Identifier: MIT */
/* The handlers this thread is running. See running.h. */
#include "running.h"

#include "../registry/sigchain.h"

/* Handlers this thread is executing, to tell a re-install from inside the
 * handler (SysV re-arm) from the save/restore idiom. Initial-exec TLS: no
 * allocation on first access, safe in a signal handler. */
#define RUNNING_MAX 16
static __thread struct {
    int sig;
    void *fn;
    void *frame;
} running[RUNNING_MAX] __attribute__((tls_model("initial-exec")));
static __thread unsigned running_n __attribute__((tls_model("initial-exec")));

/* Changes of managed dispositions made by this thread, so that the
 * dispatcher tells a handler taking its signal over from a change another
 * thread happened to make meanwhile. */
static __thread unsigned long installs_here __attribute__((tls_model("initial-exec")));

unsigned long me_installs_by_this_thread(void) { return installs_here; }

void me_count_install(void) { installs_here++; }

void me_running_push(int sig, void *fn, void *frame)
{
    /* Entries deeper than this frame were left by a handler that longjmp'd. */
    while (running_n > 0 && (uintptr_t)running[running_n - 1].frame < (uintptr_t)frame)
        running_n--;
    if (running_n < RUNNING_MAX) {
        running[running_n].sig = sig;
        running[running_n].fn = fn;
        running[running_n].frame = frame;
    }
    running_n++;
}

void me_running_pop(void)
{
    if (running_n > 0)
        running_n--;
}

bool me_in_handler(void)
{
    /* an entry below this frame was left by a handler that jumped out */
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    unsigned n = running_n < RUNNING_MAX ? running_n : RUNNING_MAX;
    for (unsigned i = 0; i < n; i++)
        if ((uintptr_t)running[i].frame > here)
            return true;
    return n < running_n;
}

void *me_running_innermost(int sig, uintptr_t mark)
{
    unsigned n = running_n < RUNNING_MAX ? running_n : RUNNING_MAX;
    for (unsigned i = n; i-- > 0;)
        if (running[i].sig == sig && !me_chain_mark_abandoned((uintptr_t)running[i].frame, mark))
            return running[i].fn;
    return NULL;
}

bool me_handler_running(int sig, void *fn, uintptr_t mark)
{
    unsigned n = running_n < RUNNING_MAX ? running_n : RUNNING_MAX;
    for (unsigned i = 0; i < n; i++)
        if (running[i].sig == sig && running[i].fn == fn &&
            !me_chain_mark_abandoned((uintptr_t)running[i].frame, mark))
            return true;
    return false;
}
