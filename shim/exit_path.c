/* SPDX-License-Identifier: MIT */
/* The signal-initiated exit, and the one-owner rule for exits.
 *
 * State is one word per process: (owner, signal, state). The owner makes a
 * forked child (which copies the word) start from NONE without any fork hook.
 *
 *   NONE -> NORMAL        exit()/return from main claimed it
 *   NONE -> SIG_RUNNING   a managed signal, safe context: exit() on this thread
 *   NONE -> SIG_DEFERRED  a managed signal, unsafe context: retry on a timer
 *   SIG_DEFERRED -> SIG_RUNNING  a later delivery (or a thread calling exit)
 *                                finds a safe context and takes over
 *
 * glibc 2.36 has no lock against two threads walking the exit list (BZ
 * 31997), so any other thread that calls exit() or returns from main while
 * the exit is owned blocks forever; the owner ends the process.
 *
 * The signal exit calls the real exit(128 + sig): glibc runs TLS
 * destructors, the list (our trampolines, _dl_fini and the destructors), and
 * finally the hook the shim registered first of all, which flushes stdio
 * (taking each stream's lock) and dies by the signal. */
#include "exit_path.h"

#include "../registry/exitfns.h"
#include "sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "die_by.h"
#include "exit_guard.h"
#include "inherited_stdio.h"
#include "kernel_disp.h"
#include "log.h"
#include "process.h"
#include "real.h"
#include "safepoint.h"
#include "settings.h"
#include "placement.h"

enum { ST_NONE = 0, ST_NORMAL = 1, ST_SIG_DEFERRED = 2, ST_SIG_RUNNING = 3 };

static _Atomic uint64_t ex_word;
/* The owning thread, as its me_thread_token(): no system call (gettid was
 * one on every exit), and the owner does not end while it owns the exit,
 * so no other thread has the same token meanwhile. */
static _Atomic uintptr_t ex_owner;
/* The word: the owner's pid (22 bits: pid_max is at most 2^22), its
 * identity (28 bits; 0 when none was drawn as the exit began: the pid alone
 * decides then), the signal, the state. A forked child, which copies the
 * word, has another pid; one that later gets the owner's pid by reuse has
 * another identity. */
ME_START static uint64_t mk(pid_t pid, int sig, int st)
{
    return ((uint64_t)(uint32_t)pid << 38) | ((uint64_t)me_drawn_id() << 10) |
           ((uint64_t)(unsigned)sig << 2) | (unsigned)st;
}
ME_START static int st_of(uint64_t w, pid_t self)
{
    if ((pid_t)(w >> 38) != self)
        return ST_NONE;
    uint32_t id = (uint32_t)(w >> 10) & 0x0fffffffu;
    return id && id != me_self_id() ? ST_NONE : (int)(w & 3);
}
ME_START static int sig_of(uint64_t w) { return (int)((w >> 2) & 0xff); }

/* ---- raw POSIX timers: invisible to the program, no allocation ---- */

/* Each id is stored before its timer is armed: the first expiry may reach a
 * handler on another thread before the creating call has returned. */
static _Atomic int retry_timer = -1, watchdog_timer = -1, killer_timer = -1;
static _Atomic uint32_t retry_us;

ME_SIGNAL static int timer_new(int signo, _Atomic int *slot)
{
    struct sigevent sev;
    int id = -1;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = signo;
    sev.sigev_value.sival_ptr = (void *)slot; /* which timer: see is_watchdog */
    if (me_sys(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id) != 0)
        return -1;
    atomic_store(slot, id);
    return id;
}

/* Arms the one-shot timer id to expire in us microseconds. */
ME_SIGNAL static void timer_set_us(int id, uint64_t us)
{
    if (id < 0)
        return;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = (time_t)(us / 1000000);
    its.it_value.tv_nsec = (long)(us % 1000000) * 1000L;
    me_sys(SYS_timer_settime, id, 0, &its, NULL);
}

static void timer_stop(_Atomic int *slot)
{
    int id = atomic_exchange(slot, -1);
    if (id >= 0)
        me_sys(SYS_timer_delete, id);
}

/* Retries of a deferred exit are one-shot, and each delivery that still
 * finds the thread in an unsafe spot arms the next one (20 us, doubling up
 * to 500 us). A periodic timer's first expiry tends to fall while the
 * deferring handler is still running; it is then delivered the moment that
 * handler returns, at the same unsafe spot, and the exit waited a whole
 * period more. */
enum { RETRY_FIRST_US = 20, RETRY_MAX_US = 500 };

static bool retry_start(int sig)
{
    atomic_store(&retry_us, RETRY_FIRST_US);
    int id = timer_new(sig, &retry_timer);
    timer_set_us(id, RETRY_FIRST_US);
    return id >= 0;
}

static void retry_again(void)
{
    uint32_t us = atomic_load(&retry_us) * 2;
    if (us > RETRY_MAX_US)
        us = RETRY_MAX_US;
    atomic_store(&retry_us, us);
    timer_set_us(atomic_load(&retry_timer), us);
}

/* False when the watchdog cannot be made (RLIMIT_SIGPENDING 0): the exit
 * would then be unbounded, so the process dies by the signal at once. */
ME_SIGNAL static bool start_watchdog(int sig)
{
    uint32_t ms = me_cfg.timeout_ms;
    if (ms == 0)
        return true;
    int id = timer_new(sig, &watchdog_timer);
    if (id < 0)
        return false;
    timer_set_us(id, (uint64_t)ms * 1000);
    /* Last resort if every thread blocks the signal: never a hang. */
    timer_set_us(timer_new(SIGKILL, &killer_timer), ((uint64_t)ms + 2000) * 1000);
    return true;
}

ME_SIGNAL static void unblock_managed(void)
{
    uint64_t m = atomic_load(&me_managed);
    me_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, &m, NULL, sizeof m);
}

static __attribute__((noinline)) void say_running(int sig)
{
    me_log("pid %d: %S received, running exit functions", (int)me_sys_getpid(), sig);
}

ME_SIGNAL static __attribute__((noreturn)) void run_signal_exit(int sig)
{
    timer_stop(&retry_timer);
    atomic_store(&ex_owner, me_thread_token());
    if (me_cfg.verbose)
        say_running(sig);
    me_exit_guard_raised(sig);
    me_stdio_drop_inherited(); /* a forked child's copy of its parent's output */
    unblock_managed(); /* repeats are absorbed; the watchdog can interrupt */
    me_real.exit_fn(128 + sig);
}

/* A signal the interrupted instruction raised (a fault with a kernel
 * si_code): returning from its handler runs that instruction again. */
ME_SIGNAL static bool is_fault(int sig, const siginfo_t *info)
{
    return info && info->si_code > 0 &&
           (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL);
}

/* During the cleanup: a fault, or abort() or a broken pipe in this process. */
static bool raised_by_cleanup(int sig, const siginfo_t *info)
{
    return is_fault(sig, info) || ((sig == SIGABRT || sig == SIGPIPE) && info &&
                                   info->si_code <= 0 && info->si_pid == me_sys_getpid());
}

/* The watchdog's expiry, told by the value the timer carries (its slot's
 * address, which no timer of the program's can carry), not by si_timerid:
 * an emulator (qemu-user) hands over its host's timer id there. */
static bool is_watchdog(const siginfo_t *info)
{
    return info && info->si_code == SI_TIMER && atomic_load(&watchdog_timer) >= 0 &&
           info->si_value.sival_ptr == (void *)&watchdog_timer;
}

/* PID 1 of a pid namespace cannot die by the signal: it exits with 128 +
 * sig (me_die_by), and the message says so. */
static void log_end(const char *what, int sig)
{
    if (me_sys_getpid() == 1)
        me_log("pid 1: %s, exiting with status %d", what, 128 + sig);
    else
        me_log("pid %d: %s, dying by %S", (int)me_sys_getpid(), what, sig);
}

static __attribute__((noreturn)) void block_forever(void)
{
    for (;;)
#ifdef SYS_pause
        me_sys(SYS_pause, 0);
#else /* aarch64: pause() is ppoll with no descriptors */
        me_sys(SYS_ppoll, NULL, 0, NULL, NULL, 0);
#endif
}

/* No timer can be made (RLIMIT_SIGPENDING 0, the queue full): the cleanup
 * could neither be bounded nor retried, so the process dies by the signal
 * at once, as without the shim, and says why. */
static __attribute__((noreturn)) void die_without_timer(int sig)
{
    if (me_cfg.verbose)
        me_log("pid %d: %S received, but no timer can be made (RLIMIT_SIGPENDING): "
               "dying by it at once, without cleanup", (int)me_sys_getpid(), sig);
    me_die_by(sig);
}

/* A managed signal with the default disposition during a normal exit():
 * the exit goes on (its functions are the cleanup), and the process dies
 * by the signal when it ends, or when MULTIEXIT_TIMEOUT runs out first
 * (an exit function that blocks, a final flush into a full pipe): nothing
 * waits for ever. The first such signal starts the bound; later ones are
 * absorbed. */
static void join_normal_exit(pid_t self, uint64_t w, int sig)
{
    if (sig_of(w) != 0 || !atomic_compare_exchange_strong(&ex_word, &w, mk(self, sig, ST_NORMAL)))
        return;
    if (me_cfg.verbose)
        me_log("pid %d: %S received during exit(): it goes on, bounded by the timeout",
               (int)me_sys_getpid(), sig);
    if (!start_watchdog(sig))
        die_without_timer(sig); /* no bound can be set: as without the shim */
}

bool me_exit_intercept(int sig, const siginfo_t *info, void *uc, bool default_disp)
{
    pid_t self = me_pid();
    uint64_t w = atomic_load(&ex_word);
    int st = st_of(w, self);
    if (st == ST_NONE)
        return false;
    if (me_in_vfork_child())
        return false; /* its parent's exit: me_exit_from_signal kills the child */
    if (!default_disp && is_fault(sig, info))
        return false; /* absorbed, it would fault again: the program's handler decides */
    if (is_watchdog(info) && sig_of(w)) {
        if (me_cfg.verbose)
            log_end("cleanup timed out", sig_of(w));
        me_die_by(sig_of(w));
    }
    if (st == ST_NORMAL) {
        if (!default_disp)
            return false; /* the program's own handler runs as usual */
        if (is_fault(sig, info))
            me_die_by(sig); /* cannot wait for the end of exit(): it would fault again */
        /* die by it once the running exit() has finished */
        join_normal_exit(self, w, sig);
        return true;
    }
    if (st == ST_SIG_RUNNING && default_disp && raised_by_cleanup(sig, info)) {
        if (me_cfg.verbose)
            log_end("the cleanup raised a signal", sig_of(w));
        me_die_by(sig_of(w));
    }
    if (st == ST_SIG_DEFERRED) {
        if (me_context_is_safe(uc, info)) {
            if (atomic_compare_exchange_strong(&ex_word, &w, mk(self, sig_of(w), ST_SIG_RUNNING)))
                run_signal_exit(sig_of(w));
        } else if (is_fault(sig, info)) {
            me_die_by(sig_of(w)); /* cannot be deferred */
        } else {
            /* Any delivery re-arms, not only the retry timer's own: the
             * chain must not depend on which instance of the signal (the
             * timer's, or one sent meanwhile) the kernel hands over. */
            retry_again();
        }
    }
    return true; /* absorbed */
}

/* Let the interrupted code leave libc (usually a few instructions: the
 * return of a system call wrapper); ask again shortly, on whichever thread
 * the kernel picks. Off the signal page: most signals find a safe spot. */
static __attribute__((noinline)) void defer_exit(int sig, void *uc)
{
    if (!retry_start(sig))
        die_without_timer(sig); /* never retried: as without the shim */
    if (me_cfg.verbose)
        me_log("pid %d: %S received inside the C library%s: cleanup deferred to the "
               "first safe point, at most the timeout", (int)me_sys_getpid(), sig,
               me_context_in_write(uc) ? " (a write, maybe stdio's, that has not returned)" : "");
}

ME_SIGNAL void me_exit_from_signal(int sig, const siginfo_t *info, void *uc)
{
    /* A vfork child shares its parent's memory: the exit is not its own,
     * and it dies at once, as without the shim. */
    if (me_in_vfork_child())
        me_die_by(sig);
    pid_t self = me_pid();
    for (;;) {
        uint64_t w = atomic_load(&ex_word);
        int st = st_of(w, self);
        if (st == ST_NORMAL) {
            join_normal_exit(self, w, sig);
            return;
        }
        if (st != ST_NONE)
            return;
        bool safe = me_context_is_safe(uc, info);
        if (!safe && is_fault(sig, info))
            me_die_by(sig); /* deferring would run the faulting instruction again */
        if (!atomic_compare_exchange_strong(&ex_word, &w,
                                            mk(self, sig, safe ? ST_SIG_RUNNING : ST_SIG_DEFERRED)))
            continue;
        if (!start_watchdog(sig))
            die_without_timer(sig);
        if (safe)
            run_signal_exit(sig);
        defer_exit(sig, uc);
        return;
    }
}

bool me_exit_begin_unwinding(int sig)
{
    pid_t self = me_pid();
    uint64_t w = atomic_load(&ex_word);
    if (st_of(w, self) != ST_NONE ||
        !atomic_compare_exchange_strong(&ex_word, &w, mk(self, sig, ST_NORMAL)))
        return false;
    atomic_store(&ex_owner, me_thread_token());
    if (me_cfg.verbose)
        me_log("pid %d: %S received: the interpreter unwinds (SystemExit in the main thread), "
               "bounded by the timeout", (int)me_sys_getpid(), sig);
    if (!start_watchdog(sig))
        die_without_timer(sig);
    return true;
}

void me_exit_immediate(void)
{
    uint64_t w = atomic_load(&ex_word);
    int st = st_of(w, me_pid());
    if ((st == ST_NORMAL || st == ST_SIG_RUNNING) && sig_of(w) && !me_in_vfork_child()) {
        if (me_cfg.verbose)
            log_end("_exit() after the cleanup", sig_of(w));
        me_die_by(sig_of(w));
    }
}

enum claim { CLAIM_PROCEED, CLAIM_TAKE_SIGNAL, CLAIM_WAIT };

ME_START static enum claim claim_normal(int *sig)
{
    pid_t self = me_pid();
    uintptr_t me = me_thread_token();
    for (;;) {
        uint64_t w = atomic_load(&ex_word);
        switch (st_of(w, self)) {
        case ST_NONE:
            if (atomic_compare_exchange_strong(&ex_word, &w, mk(self, 0, ST_NORMAL))) {
                atomic_store(&ex_owner, me);
                return CLAIM_PROCEED;
            }
            break;
        case ST_SIG_DEFERRED:
            /* A thread calling exit() is at a safe point: run the pending
             * signal exit here. */
            if (atomic_compare_exchange_strong(&ex_word, &w, mk(self, sig_of(w), ST_SIG_RUNNING))) {
                *sig = sig_of(w);
                return CLAIM_TAKE_SIGNAL;
            }
            break;
        default:
            /* exit() called again from an exit function on the owning
             * thread: glibc goes on walking, as without the shim */
            return atomic_load(&ex_owner) == me ? CLAIM_PROCEED : CLAIM_WAIT;
        }
    }
}

ME_START void me_exit_settle_normal(void)
{
    int sig = 0;
    switch (claim_normal(&sig)) {
    case CLAIM_TAKE_SIGNAL:
        run_signal_exit(sig);
    case CLAIM_WAIT:
        block_forever();
    case CLAIM_PROCEED:
        break;
    }
}

ME_START bool me_exit_in_progress(void) { return st_of(atomic_load(&ex_word), me_pid()) != ST_NONE; }

ME_START void me_exit_final_hook(void *unused)
{
    (void)unused;
    uint64_t w = atomic_load(&ex_word);
    int st = st_of(w, me_pid());
    int sig = (st == ST_SIG_RUNNING || st == ST_NORMAL) ? sig_of(w) : 0;
    if (sig == 0)
        return; /* a normal exit: glibc flushes stdio and _exits */
    if (me_cfg.verbose && me_sys_getpid() == 1)
        me_log("pid 1: ran %u exit function%s, exiting with status %d",
               (unsigned)me_exitfns_ran(), me_exitfns_ran() == 1 ? "" : "s", 128 + sig);
    else if (me_cfg.verbose)
        me_log("pid %d: ran %u exit function%s, dying by %S", (int)me_sys_getpid(),
               (unsigned)me_exitfns_ran(), me_exitfns_ran() == 1 ? "" : "s", sig);
    /* What exit() does next (_IO_cleanup) flushes every stream without its
     * lock, while other threads may still write to it: data twice, lines
     * torn. fflush(NULL) takes each lock, waiting at most until the
     * watchdog (a normal exit() that a signal joined started it then). */
    me_exit_guard_flush();
    fflush(NULL);
    me_die_by(sig);
}
