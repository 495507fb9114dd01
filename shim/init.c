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
#include "dl_compat.h"
#include "elf_symbols.h"
#include "exit_path.h"
#include "kernel_disp.h"
#include "log.h"
#include "objects.h"
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

struct walk {
    bool after_self;  /* this library was visited */
    bool listed;      /* the walk reads the linker's list (objects.h) */
    bool malloc_seen; /* an object that defines malloc was visited */
};

ME_START static void visit_object(struct me_loaded *l, void *arg)
{
    struct walk *w = arg;
    struct me_elf_object o;
    bool self = l->base == (uintptr_t)__ehdr_start;
    bool before = !self && !w->after_self && l->name[0]; /* a shared object before this one */
    /* what start-up resolves from the linker's list is all after this one */
    bool wanted = !me_real_all_found() && (w->after_self || !w->listed);
    bool opened = !self && (before || wanted) && me_elf_open(&o, l->base, l->dynamic);
    if (opened && before && !first_copy) {
        void *addr;
        if (me_elf_find(&o, copy_mark, sizeof copy_mark - 1, ME_HASH_COPY_MARK, &addr) ==
            ME_ELF_DEFINED)
            first_copy = l->name;
    }
    if (opened && wanted)
        me_real_visit(&o, w->after_self);
    /* from the linker's list, the ranges are read when a signal first
     * needs them (me_safepoint_defer); else now */
    if (!w->listed && me_safepoint_wants(l, self, &w->malloc_seen))
        me_safepoint_guard(l);
    if (self)
        w->after_self = true;
}

/* secure_getenv without libc: the MULTIEXIT_ variables are few, so one pass
 * over the environment keeps them and the parser's lookups search those. */
#define ME_MAX_VARS 16
static const char *me_vars[ME_MAX_VARS];
static int me_nvars;

/* The environment as glibc hands it to constructors; NULL when another
 * library's constructor made us initialise before ours ran. */
static char **ctor_envp;
/* ... and it is the one on the initial stack, the auxiliary vector after it
 * (not so when the library is dlopen()ed after the program changed its
 * environment: glibc passes environ then). */
static bool ctor_envp_initial;

/* Keeps the MULTIEXIT_ variables of env; returns its terminating NULL
 * (the auxiliary vector follows it on the initial stack). Most variables
 * fail at their first byte: this runs in every process. */
ME_START static char **collect_vars(char **env)
{
    ME_START_DATA static const char prefix[] = "MULTIEXIT_";
    for (; *env; env++) {
        const char *e = *env;
        if (e[0] != prefix[0])
            continue;
        size_t i = 1;
        while (i < sizeof prefix - 1 && e[i] == prefix[i])
            i++;
        if (i == sizeof prefix - 1 && me_nvars < ME_MAX_VARS)
            me_vars[me_nvars++] = e;
    }
    return env;
}

/* When another library's constructor made us initialise before ours ran:
 * the environment from libc's environ. */
ME_START static void collect_environ_vars(void)
{
    ME_START_DATA static const char environ_name[] = "environ";
    char ***environ_p = me_real_global(environ_name);
    if (environ_p && *environ_p)
        collect_vars(*environ_p);
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
    return me_dladdr(__ehdr_start, &info) && info.dli_fname ? info.dli_fname : "?";
}

ME_START static void do_init(void)
{
    bool have_auxv = false;
    struct me_auxv auxv = {0};
    me_split_layout();
    if (ctor_envp) { /* else another library's constructor called in first */
        char **end = collect_vars(ctor_envp);
        if (ctor_envp_initial)
            have_auxv = me_auxv_read((const ElfW(auxv_t) *)(end + 1), &auxv);
    }
    const struct link_map *list = have_auxv ? me_objects_list(&auxv) : NULL;
    struct walk w = {.listed = list != NULL};
    if (list) { /* what start-up does not need is found when first needed */
        me_real_defer();
        me_safepoint_defer();
    }
    me_objects_walk(list, &auxv, visit_object, &w);
    me_real_finish();
    /* AT_SECURE (setuid, setgid, file capabilities): left alone, no
     * variable read, no exit hook, no signal taken over */
    if (have_auxv ? auxv.secure : ME_REAL(getauxval_fn) && ME_REAL(getauxval_fn)(AT_SECURE)) {
        me_left_alone = true;
        return;
    }
    if (!ctor_envp)
        collect_environ_vars();
    if (first_copy) {
        const char *v = var("MULTIEXIT_VERBOSE");
        if (v && me_parse_verbose(v))
            me_log("another copy of libmultiexit, %s, was loaded first and does the work: "
                   "this one (%s) passes every call through", first_copy, self_path());
        me_left_alone = true;
        return;
    }
    if (!ME_ARCH_VFORK_STUB)
        me_pid_cache_fill(); /* before a vfork child could share and fill it */
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
    ctor_envp = envp;
    ctor_envp_initial = envp == argv + argc + 1; /* as the kernel lays out the stack */
    me_ensure_init();
    ctor_envp = NULL;
}
