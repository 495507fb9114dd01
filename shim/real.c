/* Resolution of the functions the shim wraps. dlsym(RTLD_NEXT) finds the
 * next definition after this library (libc's). Only what the exit path may
 * need inside a signal handler is resolved at init (dlsym is not
 * async-signal-safe); the rest on first use, to keep start-up cheap. */
#include "internal.h"

#include <dlfcn.h>

struct me_real me_real;

#define RESOLVE(field, name) (*(void **)&me_real.field = dlsym(RTLD_NEXT, name))

void me_real_resolve(void)
{
    RESOLVE(sigaction, "sigaction");
    RESOLVE(cxa_atexit, "__cxa_atexit");
    RESOLVE(cxa_finalize, "__cxa_finalize");
    RESOLVE(exit, "exit");
    RESOLVE(abort, "abort");
    RESOLVE(libc_start_main, "__libc_start_main");
}

void *me_real_lazy(void **slot, const char *name)
{
    void *fn = dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    return fn;
}
