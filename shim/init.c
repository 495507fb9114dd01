/* One-time initialisation, run by the constructor or by whichever
 * interposed function is called first (another library's constructor may
 * call sigaction or __cxa_atexit before ours runs). */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct me_config me_cfg;
_Atomic me_sigmask me_managed;
_Atomic int me_init_state;
static _Atomic pid_t init_tid;

static volatile pid_t *pid_cache; /* in a MADV_WIPEONFORK page, or NULL */

pid_t me_gettid(void) { return (pid_t)syscall(SYS_gettid); }

pid_t me_pid(void)
{
    if (__builtin_expect(pid_cache != NULL, 1)) {
        pid_t p = *pid_cache;
        if (__builtin_expect(p != 0, 1))
            return p;
        p = getpid();
        *pid_cache = p;
        return p;
    }
    return getpid(); /* kernel without MADV_WIPEONFORK (< 4.14): always ask */
}

bool me_in_vfork_child(void)
{
    /* A forked child sees the page zeroed; a vfork child (CLONE_VM) sees its
     * parent's pid. Read it raw: filling it here would write the child's
     * pid into the parent's memory. */
    return pid_cache && *pid_cache != 0 && *pid_cache != getpid();
}

static void init_pid_cache(void)
{
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return;
    if (madvise(page, 4096, MADV_WIPEONFORK) != 0) {
        munmap(page, 4096);
        return;
    }
    pid_cache = page;
    me_pid(); /* primed, so that a vfork child never fills it */
}

static void do_init(void)
{
    me_real_resolve();
    init_pid_cache();
    /* secure_getenv: a setuid program gets the defaults. */
    me_config_load(&me_cfg, (me_getenv_fn)secure_getenv, me_diag_stderr, NULL);
    me_safepoint_init();
    /* Registered before anything else can be: runs after every other exit
     * function and destructor, just before glibc's own stdio flush. */
    me_real.cxa_atexit(me_exit_final_hook, NULL, NULL);
    pthread_atfork(NULL, NULL, me_fork_child);
    atomic_store(&me_managed, me_cfg.signals);
    for (int sig = 1; sig <= ME_MAXSIG; sig++)
        if (me_cfg.signals & ME_SIGBIT(sig))
            me_kernel_take_over(sig);
}

void me_init_slow(void)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&me_init_state, &expect, 1)) {
        atomic_store(&init_tid, me_gettid());
        do_init();
        atomic_store(&me_init_state, 2);
        return;
    }
    if (expect == 1 && atomic_load(&init_tid) == me_gettid())
        return; /* re-entered from within do_init */
    while (atomic_load(&me_init_state) != 2)
        sched_yield();
}

__attribute__((constructor)) static void me_constructor(void) { me_ensure_init(); }
