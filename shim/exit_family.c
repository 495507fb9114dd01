/* SPDX-License-Identifier: MIT */
/* __cxa_atexit (atexit reaches us only through it: glibc's atexit lives in
 * libc_nonshared.a), on_exit, __cxa_finalize, exit and __libc_start_main.
 *
 * Each registration becomes a record (registry/exitfns) and glibc's list
 * gets a trampoline with the same dso handle, so glibc still decides the
 * order and dlclose still runs a library's functions; the record decides
 * whether the function runs in this process, and makes it run once. */
#include "exit_family.h"
#include "object_ranges.h"

#include "../registry/exitfns.h"

#include <link.h>
#include "export.h"
#include "exit_path.h"
#include "fork_family.h"
#include "init.h"
#include "process.h"
#include "real.h"
#include "settings.h"
#include "placement.h"
#include "sys.h"

ME_WARM static void tramp_cxa(void *p)
{
    struct me_exit_rec *r = p;
    if (me_exitfns_claim(r, me_self_id())) {
        ((void (*)(void *))me_exitfns_fn(r))(me_exitfns_arg(r));
    }
}

ME_WARM static void tramp_on_exit(int status, void *p)
{
    struct me_exit_rec *r = p;
    if (me_exitfns_claim(r, me_self_id())) {
        ((void (*)(int, void *))me_exitfns_fn(r))(status, me_exitfns_arg(r));
    }
}

typedef int (*on_exit_fn)(void (*)(int, void *), void *);
ME_WARM static on_exit_fn real_on_exit_fn(void) { return ME_REAL_LAZY(on_exit_fn, "on_exit"); }

ME_WARM int me_register(int kind, void *fn, void *arg, void *dso, bool shared)
{
    struct me_exit_rec *r = me_exitfns_new(kind, fn, arg, me_self_id(), shared);
    if (kind == ME_EXIT_ON_EXIT) {
        on_exit_fn real_on_exit = real_on_exit_fn();
        if (!r)
            return real_on_exit((void (*)(int, void *))fn, arg);
        return real_on_exit(tramp_on_exit, r);
    }
    if (!r)
        return me_real.cxa_atexit_fn((void (*)(void *))fn, arg, dso);
    return me_real.cxa_atexit_fn(tramp_cxa, r, dso);
}

ME_START ME_EXPORT int __cxa_atexit(void (*fn)(void *), void *arg, void *dso)
{
    me_ensure_init();
    if (ME_LEFT_ALONE())
        return me_real.cxa_atexit_fn(fn, arg, dso);
    return me_register(ME_EXIT_CXA, (void *)fn, arg, dso, me_cfg.inherit == ME_INHERIT_SHARED);
}

ME_WARM ME_EXPORT int on_exit(void (*fn)(int, void *), void *arg)
{
    me_ensure_init();
    if (ME_LEFT_ALONE())
        return real_on_exit_fn()(fn, arg);
    return me_register(ME_EXIT_ON_EXIT, (void *)fn, arg, NULL,
                       me_cfg.inherit == ME_INHERIT_SHARED);
}

struct find_arg {
    uintptr_t addr, lo, hi;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *p)
{
    struct find_arg *a = p;
    (void)size;
    uintptr_t lo, hi;
    if (me_object_range(info, &lo, &hi) && a->addr >= lo && a->addr < hi) {
        a->lo = lo;
        a->hi = hi;
        return 1;
    }
    return 0;
}

/* The library whose __dso_handle is dso: forget its functions. */
static void me_forget_library_of(void *dso)
{
    struct find_arg a = {(uintptr_t)dso, 0, 0};
    if (dl_iterate_phdr(find_object, &a))
        me_exitfns_remove_range((const void *)a.lo, (const void *)a.hi);
}

ME_START ME_EXPORT void __cxa_finalize(void *dso)
{
    me_ensure_init();
    me_real.cxa_finalize_fn(dso);
    if (ME_LEFT_ALONE())
        return;
    /* dlclose: glibc has run (or skipped) this library's entries; make sure
     * nothing in the registry can reach its code again. Not at exit, where
     * every library is finalized and the scan would only cost time. */
    if (dso && !me_exit_in_progress())
        me_forget_library_of(dso);
}

ME_START ME_EXPORT void exit(int status)
{
    me_ensure_init();
    if (ME_LEFT_ALONE())
        me_real.exit_fn(status);
    if (me_in_vfork_child())
        me_vfork_child_exit(status);
    me_exit_settle_normal();
    me_real.exit_fn(status);
}

/* _exit and _Exit run no exit function. One called after a signal started
 * an exit (an interpreter's unwinding: multiprocessing's children end with
 * os._exit) ends it by that signal, as the rest of the exit would have. */
ME_EXPORT void _exit(int status)
{
    me_exit_immediate();
    for (;;)
        me_sys(SYS_exit_group, status);
}

ME_EXPORT void _Exit(int status) __attribute__((alias("_exit")));

/* Returning from main calls glibc's internal exit, which no preload sees:
 * wrap main so that its return claims the exit first. */
static int (*program_main)(int, char **, char **);

ME_START static int main_wrapper(int argc, char **argv, char **envp)
{
    me_main_starts(__builtin_frame_address(0));
    int status = program_main(argc, argv, envp);
    me_exit_settle_normal();
    return status;
}

ME_START ME_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                                void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                                void *stack_end)
{
    me_ensure_init();
    if (ME_LEFT_ALONE())
        return me_real.libc_start_main_fn(main, argc, argv, init, fini, rtld_fini, stack_end);
    program_main = main;
    return me_real.libc_start_main_fn(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}
