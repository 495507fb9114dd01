/* Shared declarations of the shim's translation units. Nothing here is
 * exported: the library is built with -fvisibility=hidden and only ME_EXPORT
 * functions are visible. */
#ifndef ME_INTERNAL_H
#define ME_INTERNAL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../config/me_config.h"

#define ME_EXPORT __attribute__((visibility("default")))

/* ---- real functions (real.c) ---- */
/* Resolved at init: the exit path may need them in a signal handler. */
struct me_real {
    int (*sigaction)(int, const struct sigaction *, struct sigaction *);
    int (*cxa_atexit)(void (*)(void *), void *, void *);
    void (*cxa_finalize)(void *);
    void (*exit)(int) __attribute__((noreturn));
    void (*abort)(void) __attribute__((noreturn));
    int (*libc_start_main)(int (*)(int, char **, char **), int, char **, void (*)(void),
                           void (*)(void), void (*)(void), void *);
    pid_t (*fork)(void);
    unsigned long (*getauxval)(unsigned long);
    void *(*malloc)(size_t); /* the malloc the program uses, whoever defines it */
};
extern struct me_real me_real;
struct me_elf_object;
/* Called for every loaded object in load order; *defines_malloc is set for
 * the object that provides the program's malloc. */
void me_real_visit(struct me_elf_object *o, bool after_self, bool *defines_malloc);
bool me_real_all_found(void);
/* dlsym for whatever the walk left unresolved. */
void me_real_finish(void);
/* Functions never needed in a handler, resolved on first use. */
void *me_real_lazy(void **slot, const char *name);
#define ME_REAL_LAZY(type, name)                                                               \
    ({                                                                                         \
        static void *slot_;                                                                    \
        (type)(__atomic_load_n(&slot_, __ATOMIC_ACQUIRE) ? slot_ : me_real_lazy(&slot_, name)); \
    })
/* dlsym(RTLD_DEFAULT, name): an ordinary reference's binding */
void *me_real_global(const char *name);

/* ---- init and configuration (init.c) ---- */
extern struct me_config me_cfg;
extern _Atomic me_sigmask me_managed;
void me_init_slow(void);
extern _Atomic int me_init_state; /* 0 none, 1 running, 2 done */
/* always_inline: the -Os files would otherwise call these out of line */
static inline __attribute__((always_inline)) void me_ensure_init(void)
{
    if (__builtin_expect(atomic_load_explicit(&me_init_state, memory_order_acquire) != 2, 0))
        me_init_slow();
}
static inline __attribute__((always_inline)) bool me_is_managed(int sig)
{
    return sig >= 1 && sig <= ME_MAXSIG &&
           (atomic_load_explicit(&me_managed, memory_order_relaxed) & ME_SIGBIT(sig));
}
/* The pid of this process, cached in a MADV_WIPEONFORK page (its first
 * word): any fork (even a raw clone without CLONE_VM) sees it zeroed and
 * asks the kernel again.
 * A vfork child shares the page and sees its parent's pid. The page is
 * made on demand (init.c); until then every call asks the kernel. */
extern volatile pid_t *_Atomic me_pid_cache;
pid_t me_pid_slow(void);
void me_pid_cache_fill(void);
static inline __attribute__((always_inline)) pid_t me_pid(void)
{
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_relaxed);
    pid_t p = __builtin_expect(c != NULL, 1) ? *c : 0;
    return __builtin_expect(p != 0, 1) ? p : me_pid_slow();
}
/* This process's identity: a number that no process whose memory this one
 * copied ever had, and that a fork never copies: kept beside the pid in
 * the MADV_WIPEONFORK page (made on first use), drawn from a counter in
 * ordinary memory, which each process that draws one leaves past it. So a
 * forked child, however made, draws a new one, and a process that gets a
 * dead ancestor's pid is not that ancestor. Below 2^28, never 0. A vfork
 * child shares the page and reads its parent's identity: where that
 * matters, ask me_in_vfork_child() first (such a child's identity is
 * ME_PROC_VFORK_CHILD, registry/exitfns.h). Async-signal-safe. */
uint32_t me_self_id_slow(void);
static inline __attribute__((always_inline)) uint32_t me_self_id(void)
{
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_relaxed);
    uint32_t id = __builtin_expect(c != NULL, 1) ? ((volatile uint32_t *)c)[1] : 0;
    return __builtin_expect(id != 0, 1) ? id : me_self_id_slow();
}
/* The address glibc puts in sa_restorer, as the kernel reports it. */
extern void *me_restorer;

/* ---- logging (log.c): async-signal-safe, one write(2) per line ---- */
void me_log(const char *fmt, ...); /* %s %d %u %ld and %S (signal name) only */
void me_diag_stderr(void *ctx, const char *line);

/* ---- kernel-level disposition (kernel_disp.c) ---- */
void me_kernel_sync(int sig);
bool me_kernel_take_over(int sig); /* false: left to libc (no memory) */
void *me_kernel_restorer(void);
void me_set_managed(me_sigmask want);
void me_dispatch(int sig, siginfo_t *info, void *uc);
/* What the kernel blocks on entry to the dispatcher besides the interrupted
 * mask (racy against a concurrent install: only to skip a sigprocmask). */
uint64_t me_kernel_mask(int sig, bool *nodefer);

/* ---- signal family helpers (signal_family.c) ---- */
int me_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
bool me_handler_running(int sig, void *fn);
void me_running_push(int sig, void *fn, void *frame);
void me_running_pop(void);

/* ---- the exit path (exit_path.c) ---- */
/* Called by the dispatcher first: true when the signal was consumed by an
 * exit already in progress (absorbed, deferred retry, or watchdog). */
bool me_exit_intercept(int sig, const siginfo_t *info, void *uc, bool default_disp);
/* The program's disposition is SIG_DFL and the default action terminates. */
void me_exit_from_signal(int sig, const siginfo_t *info, void *uc);
enum me_claim { ME_CLAIM_PROCEED, ME_CLAIM_TAKE_SIGNAL, ME_CLAIM_WAIT };
enum me_claim me_exit_claim_normal(int *sig);
void me_exit_run_signal(int sig) __attribute__((noreturn));
void me_exit_block_forever(void) __attribute__((noreturn));
void me_exit_final_hook(void *unused);
void me_die_by(int sig) __attribute__((noreturn));
bool me_exit_in_progress(void);
/* (exit_guard.c) At the start of a signal-initiated cleanup: a SIGPIPE,
 * SIGABRT or crash the cleanup raises makes the process die by sig; and
 * just before its final flush. */
void me_exit_guard_raised(int sig);
void me_exit_guard_flush(void);

int me_register(int kind, void *fn, void *arg, void *dso, bool shared);
unsigned long me_exit_functions_ran(void);

/* ---- fork family (fork_family.c) ---- */
void me_fork_child(void);
bool me_in_vfork_child(void);
void me_vfork_child_exit(int status) __attribute__((noreturn));

/* ---- deciding where the exit may run (safepoint.c) ---- */
struct dl_phdr_info;
/* Called for every loaded object at init: guards the executable segments
 * of libc, the dynamic linker etc., and of objects the caller names. */
void me_safepoint_visit(const struct dl_phdr_info *info, bool guard);
bool me_context_is_safe(const void *uc, const siginfo_t *info);

#endif
