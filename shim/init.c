/* One-time initialisation, run by the constructor or by whichever
 * interposed function is called first (another library's constructor may
 * call sigaction or __cxa_atexit before ours runs). */
#include "internal.h"

#include <link.h>
#include <stdatomic.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "../registry/sigchain.h"
#include "elf_symbols.h"
#include "sys.h"

struct me_config me_cfg;
_Atomic me_sigmask me_managed;
_Atomic int me_init_state;
static _Atomic pid_t init_tid;
bool me_left_alone; /* AT_SECURE: every entry point passes straight to libc */

volatile pid_t *_Atomic me_pid_cache; /* in a MADV_WIPEONFORK page, or NULL */

/* The cache page costs the process a page of memory and a mapping (which
 * every fork copies), so it is made only once the pid is asked for often:
 * a program that never registers many exit functions never pays for it.
 * Where vfork is not wrapped (see fork_family.c) it is made at start-up,
 * so that a vfork child, sharing our memory, never makes or fills it. */
#if defined(__x86_64__)
#define ME_PID_LOOKUPS_BEFORE_CACHE 32
#else
#define ME_PID_LOOKUPS_BEFORE_CACHE 0
#endif

/* Maps the cache page; false on a kernel without MADV_WIPEONFORK (< 4.14)
 * or short of memory, which then always asks. Async-signal-safe. */
static bool make_pid_cache(void)
{
    static _Atomic bool unsupported;
    if (atomic_load_explicit(&unsupported, memory_order_relaxed))
        return false;
    if (me_map_once((void *_Atomic *)&me_pid_cache, 4096, MADV_WIPEONFORK))
        return true;
    atomic_store_explicit(&unsupported, true, memory_order_relaxed);
    return false;
}

pid_t me_pid_slow(void)
{
    static _Atomic unsigned lookups;
    pid_t p = me_sys_getpid();
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    if (!c && atomic_fetch_add_explicit(&lookups, 1, memory_order_relaxed) >=
                  ME_PID_LOOKUPS_BEFORE_CACHE && make_pid_cache())
        c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    if (c)
        *c = p;
    return p;
}

/* For the vfork wrapper: the cache must exist and hold our pid before a
 * child shares it. */
void me_pid_cache_fill(void)
{
    make_pid_cache(); /* returns at once if the page is there */
    me_pid();
}

/* Set by the first vfork() (fork_family.c): until then no process can be
 * a vfork child of ours, and the check costs no system call. */
#if defined(__x86_64__)
_Atomic bool me_vforked;
#else
_Atomic bool me_vforked = true; /* vfork is not wrapped there: always ask */
#endif

bool me_in_vfork_child(void)
{
    if (!atomic_load_explicit(&me_vforked, memory_order_relaxed))
        return false;
    /* A forked child sees the page zeroed; a vfork child (CLONE_VM) sees its
     * parent's pid. Read it raw: filling it here would write the child's
     * pid into the parent's memory. */
    volatile pid_t *c = atomic_load_explicit(&me_pid_cache, memory_order_acquire);
    return c && *c != 0 && *c != me_sys_getpid();
}

/* One walk over the loaded objects serves symbol resolution and the
 * safe-point guard. Load order is the global lookup order for everything
 * loaded at start-up; "after self" is what RTLD_NEXT searches. */
extern const char __ehdr_start[]; /* this library's ELF header, at its load bias */

static int visit_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    bool *after_self = arg, defines_malloc = false;
    struct me_elf_object o;
    (void)size;
    bool self = info->dlpi_addr == (uintptr_t)__ehdr_start;
    const char *n = info->dlpi_name ? info->dlpi_name : "";
    bool vdso = n[0] == 'l' && n[1] == 'i' && n[2] == 'n' && n[3] == 'u' && n[4] == 'x' &&
                n[5] == '-'; /* linux-vdso.so.1, linux-gate.so.1: nothing to find or guard */
    if (vdso)
        return 0;
    if (!self && !me_real_all_found() && me_elf_open(&o, info))
        me_real_visit(&o, *after_self, &defines_malloc);
    me_safepoint_visit(info, self || defines_malloc);
    if (self)
        *after_self = true;
    return 0;
}

/* secure_getenv without libc: the MULTIEXIT_ variables are few, so one pass
 * over the environment keeps them and the parser's lookups search those. */
#define ME_MAX_VARS 16
static const char *me_vars[ME_MAX_VARS];
static int me_nvars;

/* The environment as glibc hands it to constructors; NULL when another
 * library's constructor made us initialise before ours ran. */
static char **ctor_envp;

static void collect_vars(void)
{
    char **env = ctor_envp;
    if (!env) {
        char ***environ_p = me_real_global("environ");
        env = environ_p ? *environ_p : NULL;
    }
    if (!env)
        return;
    static const char prefix[] = "MULTIEXIT_";
    for (; *env && me_nvars < ME_MAX_VARS; env++) {
        size_t i = 0;
        while (i < sizeof prefix - 1 && (*env)[i] == prefix[i])
            i++;
        if (i == sizeof prefix - 1)
            me_vars[me_nvars++] = *env;
    }
}

static const char *var(const char *name)
{
    for (int k = 0; k < me_nvars; k++) {
        const char *a = me_vars[k], *b = name;
        while (*b && *a == *b)
            a++, b++;
        if (!*b && *a == '=')
            return a + 1;
    }
    return NULL;
}

#if ME_SPLIT_TEXT
/* The warm and the rest code (shim/layout.ld) are adjacent pages of the
 * library with the same protection, which the kernel maps as one mapping;
 * and a mapping is faulted in whole (fault-around), so a program that only
 * registers exit functions would have all the rest resident too. Marked
 * MADV_DONTDUMP (code from a file is not in a core dump by default anyway),
 * the warm pages are a mapping of their own. If the kernel refuses, only
 * the memory such a program uses grows. */
extern const char me_warm_start[], me_warm_end[]; /* from the script */

static void me_split_warm(void)
{
    me_sys(SYS_madvise, me_warm_start, me_warm_end - me_warm_start, MADV_DONTDUMP);
}
#else
static void me_split_warm(void) {}
#endif

static void do_init(void)
{
    bool after_self = false;
    me_split_warm();
    dl_iterate_phdr(visit_object, &after_self);
    me_real_finish();
    /* AT_SECURE (setuid, setgid, file capabilities): left alone, no
     * variable read, no exit hook, no signal taken over */
    if (me_real.getauxval && me_real.getauxval(AT_SECURE)) {
        me_left_alone = true;
        return;
    }
    if (ME_PID_LOOKUPS_BEFORE_CACHE == 0)
        me_pid_cache_fill();
    collect_vars();
    me_config_load(&me_cfg, var, me_diag_stderr, NULL);
    /* Registered before anything else can be: runs after every other exit
     * function and destructor, just before glibc's own stdio flush. */
    me_real.cxa_atexit(me_exit_final_hook, NULL, NULL);
    atomic_store(&me_managed, me_cfg.signals);
    for (me_sigmask m = me_cfg.signals; m; m &= m - 1)
        if (!me_kernel_take_over(__builtin_ctzll(m) + 1))
            atomic_fetch_and(&me_managed, ~(m & -m));
}

void me_init_slow(void)
{
    int expect = 0;
    if (atomic_compare_exchange_strong(&me_init_state, &expect, 1)) {
        atomic_store(&init_tid, me_sys_gettid());
        do_init();
        atomic_store(&me_init_state, 2);
        return;
    }
    if (expect == 1 && atomic_load(&init_tid) == me_sys_gettid())
        return; /* re-entered from within do_init */
    while (atomic_load(&me_init_state) != 2)
        me_sys(SYS_sched_yield, 0);
}

/* glibc calls ELF constructors with (argc, argv, envp). */
__attribute__((constructor)) static void me_constructor(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    ctor_envp = envp;
    me_ensure_init();
    ctor_envp = NULL;
}
