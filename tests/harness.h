/* SPDX-License-Identifier: MIT */
/* Runs test programs as real processes, with or without the shim preloaded,
 * and synchronises with them over pipes:
 *   fd 0  the program's stdin (a pipe the test writes to, or /dev/null)
 *   fd 1  stdout, fd 2 stderr (collected)
 *   fd 3  "ready" pipe: the program writes a line when it reaches a point
 *         the test waits for (progs/common.h: ready()).
 * No sleeps: every wait is a read on a pipe or a waitpid, with a deadline
 * that turns a hang into a test failure. */
#ifndef ME_HARNESS_H
#define ME_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>

struct proc {
    pid_t pid;
    int in;    /* write end of the program's stdin, -1 if closed */
    int out;   /* read end of stdout */
    int err;   /* read end of stderr */
    int ready; /* read end of fd 3 */
    char *out_buf, *err_buf;
    size_t out_len, err_len;
    int status;
    bool hung; /* killed by the harness after its deadline */
    double seconds; /* from spawn to reaping */
    double start;
};

/* Path of a built test program or library (directory set by CMake). */
const char *prog_path(const char *name);
const char *shim_path(void);

/* env: NULL-terminated "NAME=value" list added to (or replacing in) the
 * environment; preload: put the shim in LD_PRELOAD. */
void proc_spawn(struct proc *p, bool preload, const char *const *env, const char *prog, ...);
void proc_spawnv(struct proc *p, bool preload, const char *const *env, char *const argv[]);
/* Reads one line from fd 3 into buf (without newline); false on EOF or after
 * timeout seconds. */
bool proc_wait_ready(struct proc *p, char *buf, size_t n, double timeout);
void proc_send(struct proc *p, const char *text);
void proc_close_stdin(struct proc *p);
void proc_kill(struct proc *p, int sig);
/* Reads stdout/stderr to EOF and reaps; SIGKILLs after timeout seconds
 * (then p->hung is true). */
void proc_finish(struct proc *p, double timeout);
void proc_free(struct proc *p);

/* Waits until p's main thread is blocked in system call nr, a SYS_ name of
 * <sys/syscall.h> (read /proc; under the emulator translated to the call the
 * emulator blocks in on the host); false if it exits or the timeout passes
 * first. */
bool proc_wait_syscall(struct proc *p, long nr, double timeout);
/* Waits until thread tid of process pid is in system call nr (the
 * target's number: translated under an emulator). */
bool thread_wait_syscall(pid_t pid, pid_t tid, long nr, double timeout);
/* The call the shim's block_forever (shim/exit_path.c) waits in: pause, or
 * ppoll with no descriptors where the kernel has no pause (aarch64). */
#ifdef SYS_pause
#define ME_SYS_BLOCKED SYS_pause
#else
#define ME_SYS_BLOCKED SYS_ppoll
#endif

/* Under an emulator (a cross build's CMAKE_CROSSCOMPILING_EMULATOR, which
 * CMake passes as ME_TEST_EMULATOR), programs of the target run through it;
 * false in a native build. */
bool me_emulated(void);
/* Trial counts and wall-clock bounds of the stress and deadlock tests:
 * n divided by the build's ME_TEST_TRIAL_DIVISOR under the emulator (at
 * least 1), n itself otherwise; seconds scaled by ME_TEST_TIME_SCALE
 * under the emulator. The assertions stay the same. */
int me_trials(int n);
double me_bound(double seconds);
/* tcase_add_test, except that a test named in tests/emulator_skips.txt for
 * this suite is left out under the emulator (ctest lists it as skipped,
 * with its reason: tests/CMakeLists.txt). */
/* Put after "unshare --pid --fork": util-linux before 2.37 (Debian 11)
 * leaves SIGINT and SIGTERM ignored in the child it forks, as it sets them
 * in itself, and the program would inherit that; env gives them back their
 * default, as a newer unshare does. */
#define ME_UNSHARE_DFL "/usr/bin/env", "--default-signal=INT,TERM"

#define me_add_test(tc, tf)                                                                    \
    do {                                                                                       \
        if (!me_emulator_skips(#tf))                                                           \
            tcase_add_test((tc), tf);                                                          \
    } while (0)
#define me_add_loop_test(tc, tf, s, e)                                                         \
    do {                                                                                       \
        if (!me_emulator_skips(#tf))                                                           \
            tcase_add_loop_test((tc), tf, (s), (e));                                           \
    } while (0)
bool me_emulator_skips(const char *test);

/* Sleeps a pseudo-random time below max_us: a sampling delay to hit
 * random moments, not synchronisation. */
void random_delay(unsigned *seed, long max_us);

/* Deadlock safety: `trials` runs of progs/busy (threads busy in malloc,
 * free and stdio; an exit function that allocates and prints), each sent
 * SIGTERM at a random moment. Counts hangs, wrong endings (not death by
 * SIGTERM with the exit function's output complete) and ends slower than
 * 1 s; *worst is the slowest end in seconds. */
void busy_trials(int trials, unsigned seed, int *hangs, int *wrong, int *slow, double *worst);

struct Suite;
/* Runs a Check suite (Check's own summary line), returns main's status. */
int run_suite(struct Suite *s, bool fork_each_test);

/* Count of non-overlapping occurrences of needle in hay. */
int count_of(const char *hay, const char *needle);
double now_s(void);
bool died_by(const struct proc *p, int sig);
bool exited_with(const struct proc *p, int code);
/* A human-readable description of p's status, for failure messages. */
const char *status_str(const struct proc *p);

/* The shapes every suite repeats. */
/* Spawns prog and waits (at most timeout s) for its first "ready" line on
 * fd 3, which is copied to line (n bytes); fails the test if none comes. */
#define proc_start_ready(p, preload, env, timeout, line, n, ...)                               \
    do {                                                                                       \
        proc_spawn((p), (preload), (env), __VA_ARGS__, NULL);                                  \
        ck_assert_msg(proc_wait_ready((p), (line), (n), (timeout)), "%s never got ready",     \
                      #__VA_ARGS__);                                                           \
    } while (0)
/* p died by signal sig / exited with code; the message says what it did. */
#define ck_assert_died_by(p, sig) ck_assert_msg(died_by((p), (sig)), "status: %s", status_str(p))
#define ck_assert_exited_with(p, code)                                                         \
    ck_assert_msg(exited_with((p), (code)), "status: %s", status_str(p))

#endif
