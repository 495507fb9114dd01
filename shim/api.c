/* SPDX-License-Identifier: MIT */
/* The public C API (include/multiexit.h). */
#include "export.h"

#include <errno.h>

#include "../include/multiexit.h"
#include "../registry/exitfns.h"
#include "exit_family.h"
#include "init.h"
#include "kernel_disp.h"
#include "process.h"
#include "real.h"

ME_EXPORT int multiexit_register(void (*fn)(void *), void *arg, int flags)
{
    /* checked at the call, as glibc's atexit(NULL): a NULL function would
     * crash the exit later and lose the buffered output */
    if (!fn || (flags & ~MULTIEXIT_SHARED)) {
        errno = EINVAL;
        return -1;
    }
    me_ensure_init();
    if (ME_LEFT_ALONE()) /* a privileged program: plain atexit semantics */
        return me_real.cxa_atexit_fn(fn, arg, NULL) == 0 ? 0 : -1;
    return me_register(ME_EXIT_CXA, (void *)fn, arg, NULL, flags & MULTIEXIT_SHARED) == 0 ? 0 : -1;
}

ME_EXPORT int multiexit_unregister(void (*fn)(void *))
{
    me_ensure_init();
    return me_exitfns_remove_fn((void *)fn, me_self_id()) > 0;
}

struct counter {
    int bad;
};

static void count_bad(void *ctx, const char *line)
{
    (void)line;
    ((struct counter *)ctx)->bad++;
}

ME_EXPORT int multiexit_set_signals(const char *spec)
{
    struct counter c = {0};
    me_ensure_init();
    if (ME_LEFT_ALONE()) { /* a privileged program manages no signal */
        errno = EPERM;
        return -1;
    }
    me_sigmask want = me_parse_signals(spec ? spec : "", count_bad, &c);
    if (c.bad) {
        errno = EINVAL;
        return -1;
    }
    me_set_managed(want);
    return 0;
}

ME_EXPORT const char *multiexit_version(void) { return ME_VERSION_STRING; }
