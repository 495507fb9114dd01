/* SPDX-License-Identifier: MIT */
/* One-time initialisation, run by the constructor or by whichever
 * interposed function is called first (another library's constructor may
 * call sigaction or __cxa_atexit before ours runs). */
#include "init.h"

#include <dlfcn.h>
#include <link.h>
#include <stdatomic.h>
#include <sys/auxv.h>

#include "dispatch.h"
#include "elf_symbols.h"
#include "exit_path.h"
#include "kernel_disp.h"
#include "log.h"
#include "process.h"
#include "real.h"
#include "safepoint.h"
#include "settings.h"
#include "split_layout.h"
#include "sys.h"
#include "placement.h"

_Atomic int me_init_state;
static _Atomic pid_t init_tid;
bool me_left_alone; /* AT_SECURE: every entry point passes straight to libc */

/* One walk over the loaded objects serves symbol resolution and the
 * safe-point guard. Load order is the global lookup order for everything
 * loaded at start-up; "after self" is what RTLD_NEXT searches. */
extern const char __ehdr_start[]; /* this library's ELF header, at its load bias */

/* Another copy of the library loaded before this one (any version, any
 * path: a whole-host install and another prefix's, two builds): that one,
 * which the program's calls bind to, does the work; this one passes every
 * call through, as for a privileged program. Found by the symbol every
 * version exports, in an object that comes before this one. */
static const char *first_copy;
ME_START_DATA static const char copy_mark[] = "multiexit_version";

ME_START static int visit_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    bool *after_self = arg, defines_malloc = false;
    struct me_elf_object o;
    (void)size;
    bool self = info->dlpi_addr == (uintptr_t)__ehdr_start;
    const char *n = info->dlpi_name;
    bool vdso = n && n[0] == 'l' && n[1] == 'i' && n[2] == 'n' && n[3] == 'u' && n[4] == 'x' &&
                n[5] == '-'; /* linux-vdso.so.1, linux-gate.so.1: nothing to find or guard */
    if (vdso)
        return 0;
    bool before = !self && !*after_self && n && n[0]; /* a shared object before this one */
    bool opened = !self && (before || !me_real_all_found()) && me_elf_open(&o, info);
    if (opened && before && !first_copy) {
        void *addr;
        if (me_elf_find(&o, copy_mark, sizeof copy_mark - 1, me_elf_hash(copy_mark), &addr) ==
            ME_ELF_DEFINED)
            first_copy = n;
    }
    if (opened && !me_real_all_found())
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

ME_START static void collect_vars(void)
{
    char **env = ctor_envp;
    if (!env) {
        ME_START_DATA static const char environ_name[] = "environ";
        char ***environ_p = me_real_global(environ_name);
        env = environ_p ? *environ_p : NULL;
    }
    if (!env)
        return;
    ME_START_DATA static const char prefix[] = "MULTIEXIT_";
    for (; *env && me_nvars < ME_MAX_VARS; env++) {
        size_t i = 0;
        while (i < sizeof prefix - 1 && (*env)[i] == prefix[i])
            i++;
        if (i == sizeof prefix - 1)
            me_vars[me_nvars++] = *env;
    }
}

ME_START static const char *var(const char *name)
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

/* This library's own path, as the loader names it. */
static const char *self_path(void)
{
    Dl_info info;
    return dladdr(__ehdr_start, &info) && info.dli_fname ? info.dli_fname : "?";
}

ME_START static void do_init(void)
{
    bool after_self = false;
    me_split_layout();
    dl_iterate_phdr(visit_object, &after_self);
    me_real_finish();
    /* AT_SECURE (setuid, setgid, file capabilities): left alone, no
     * variable read, no exit hook, no signal taken over */
    if (me_real.getauxval_fn && me_real.getauxval_fn(AT_SECURE)) {
        me_left_alone = true;
        return;
    }
    if (first_copy) {
        collect_vars();
        const char *v = var("MULTIEXIT_VERBOSE");
        if (v && me_parse_verbose(v))
            me_log("another copy of libmultiexit, %s, was loaded first and does the work: "
                   "this one (%s) passes every call through", first_copy, self_path());
        me_left_alone = true;
        return;
    }
    if (!ME_ARCH_VFORK_STUB)
        me_pid_cache_fill(); /* before a vfork child could share and fill it */
    collect_vars();
    if (me_nvars > 0) /* else me_cfg holds the defaults already */
        me_config_load(&me_cfg, var, me_diag_stderr, NULL);
    /* Registered before anything else can be: runs after every other exit
     * function and destructor, just before glibc's own stdio flush. */
    me_real.cxa_atexit_fn(me_exit_final_hook, NULL, NULL);
    me_kernel_use_dispatcher(me_dispatch);
    atomic_store(&me_managed, me_cfg.signals);
    for (me_sigmask m = me_cfg.signals; m; m &= m - 1)
        if (!me_kernel_take_over(__builtin_ctzll(m) + 1))
            atomic_fetch_and(&me_managed, ~(m & -m));
    if (me_cfg.verbose)
        me_log_active((int)me_sys_getpid(), atomic_load(&me_managed), me_cfg.timeout_ms);
}

ME_START void me_init_slow(void)
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
ME_START __attribute__((constructor)) static void me_constructor(int argc, char **argv, char **envp)
{
    (void)argc;
    (void)argv;
    ctor_envp = envp;
    me_ensure_init();
    ctor_envp = NULL;
}
