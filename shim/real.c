/* Resolution of the functions the shim wraps. dlsym(RTLD_NEXT) finds the
 * next definition after this library (libc's). Safe to call before the
 * shim's constructor: another library's constructor may reach us first. */
#include "internal.h"

#include <dlfcn.h>

struct me_real me_real;

#define RESOLVE(field, name) (*(void **)&me_real.field = dlsym(RTLD_NEXT, name))

void me_real_resolve(void)
{
    RESOLVE(sigaction, "sigaction");
    RESOLVE(signal, "signal");
    RESOLVE(sysv_signal, "sysv_signal");
    RESOLVE(sigset, "sigset");
    RESOLVE(sigignore, "sigignore");
    RESOLVE(siginterrupt, "siginterrupt");
    RESOLVE(cxa_atexit, "__cxa_atexit");
    RESOLVE(on_exit, "on_exit");
    RESOLVE(cxa_finalize, "__cxa_finalize");
    RESOLVE(exit, "exit");
    RESOLVE(abort, "abort");
    RESOLVE(libc_start_main, "__libc_start_main");
    RESOLVE(fork, "fork");
    RESOLVE(_Fork, "_Fork");
    RESOLVE(daemon, "daemon");
    RESOLVE(fcloseall, "fcloseall");
}
