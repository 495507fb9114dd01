/* SPDX-License-Identifier: MIT */
/* libmultiexit public API.
 *
 * For programs that opt in. Link with -lmultiexit (pkg-config multiexit,
 * CMake find_package(multiexit)), or call it only when the library is
 * preloaded, without a link-time dependency (below).
 *
 * Linking with -lmultiexit loads the whole library, not only these
 * functions: the program then gets what LD_PRELOAD gives (the cleanup on a
 * managed signal, SIGTERM and SIGINT by default, then death by it; chained
 * handlers; per-process exit lists) without LD_PRELOAD, configured by the
 * same MULTIEXIT_* variables (libmultiexit(7)). (With --as-needed, the
 * default of some distributions, the library stays linked only when the
 * program calls one of these functions.)
 *
 * Without a link-time dependency:
 *
 *     int (*reg)(void (*)(void *), void *, int) =
 *         (int (*)(void (*)(void *), void *, int))dlsym(RTLD_DEFAULT, "multiexit_register");
 *     if (reg) reg(cleanup, NULL, MULTIEXIT_SHARED); else atexit(cleanup_noarg);
 */
#ifndef MULTI_EXIT_PUBLIC_H
#define MULTI_EXIT_PUBLIC_H

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of multiexit_register. */
#define MULTIEXIT_PRIVATE 0 /* runs only in the registering process (the default) */
#define MULTIEXIT_SHARED 1  /* also runs in every process forked after registration */

/* Registers fn(arg) to run at exit, after everything registered later
 * (LIFO, together with atexit/on_exit/C++ destructors). O(1).
 * Returns 0, or -1 with errno EINVAL when fn is NULL or flags has a bit
 * other than MULTIEXIT_SHARED, or -1 when out of memory. In a privileged
 * program (setuid,
 * setgid, file capabilities: AT_SECURE), which the library leaves alone,
 * it is plain atexit: flags are ignored. */
int multiexit_register(void (*fn)(void *), void *arg, int flags);

/* Removes every registration of fn in this process, made through
 * multiexit_register or atexit/on_exit/__cxa_atexit; a child's call does
 * not affect its parent. Returns 1 if something was removed, 0 if fn was
 * unknown (not an error, as Python's atexit.unregister). */
int multiexit_unregister(void (*fn)(void *));

/* Chooses the managed signals, with the syntax of MULTIEXIT_SIGNALS
 * ("TERM,INT,HUP", "none"). Returns 0, or -1 with errno EINVAL when a token
 * is bad (nothing is changed then), or EPERM in a privileged program
 * (AT_SECURE), which manages no signal. */
int multiexit_set_signals(const char *spec);

/* "0.1.0" */
const char *multiexit_version(void);

#ifdef __cplusplus
}
#endif

#endif
