/* SPDX-License-Identifier: MIT */
/* Signal-initiated exit: real programs under the preload, real signals. */
#include <check.h>
#include <link.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define T 10.0 /* deadline for a single program, seconds */

/* Output and status of `prog mode` run to completion without the shim. */
static char *reference(const char *prog, const char *mode, int *status)
{
    struct proc p;
    proc_spawn(&p, false, NULL, prog_path(prog), mode, NULL);
    proc_close_stdin(&p);
    proc_finish(&p, T);
    *status = p.status;
    char *out = strdup(p.out_buf);
    proc_free(&p);
    return out;
}

/* Starts `prog mode` under the shim, waits until it is ready, sends sig. */
static void run_and_signal(struct proc *p, const char *const *env, const char *prog,
                           const char *mode, int sig, int times)
{
    char line[64];
    proc_start_ready(p, true, env, T, line, sizeof line, prog_path(prog), mode);
    for (int i = 0; i < times; i++)
        proc_kill(p, sig);
    proc_finish(p, T);
}

START_TEST(sigterm_runs_everything_exit_runs)
{
    int st;
    char *want = reference("exitfns", "exit", &st);
    ck_assert_str_eq(want, "main line\natexit 3\non_exit status=143 arg=x\natexit 2\natexit 1\n"
                           "destructor\n");
    struct proc p;
    run_and_signal(&p, NULL, "exitfns", "wait", SIGTERM, 1);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, want);
    ck_assert_str_eq(p.err_buf, "");
    proc_free(&p);
    free(want);
}
END_TEST

/* This program's dynamic linker, as its PT_INTERP names it. */
static const char *interpreter(void)
{
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    unsigned long n = getauxval(AT_PHNUM);
    uintptr_t bias = 0;
    for (unsigned long i = 0; i < n; i++)
        if (ph[i].p_type == PT_PHDR)
            bias = (uintptr_t)ph - ph[i].p_vaddr;
    for (unsigned long i = 0; i < n; i++)
        if (ph[i].p_type == PT_INTERP)
            return (const char *)(bias + ph[i].p_vaddr);
    return NULL;
}

/* ld.so run as the program (the way a loader path is tried by hand, or
 * by tools that pick the dynamic linker): no interpreter in the auxiliary
 * vector; the shim finds the objects another way. */
START_TEST(sigterm_runs_everything_under_the_dynamic_linker_run_by_hand)
{
    const char *ld = interpreter();
    ck_assert_ptr_nonnull(ld);
    int st;
    char *want = reference("exitfns", "exit", &st);
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, ld, prog_path("exitfns"), "wait");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, want);
    ck_assert_str_eq(p.err_buf, "");
    proc_free(&p);
    free(want);
}
END_TEST

/* Loaded with dlopen() after the program changed its environment: the
 * constructor gets an environ that is no longer the initial stack's. */
START_TEST(sigterm_runs_exit_functions_when_the_shim_is_dlopened)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, false, NULL, T, line, sizeof line, prog_path("dlopen_shim"),
                     shim_path());
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "main line\ncleanup\n");
    ck_assert_str_eq(p.err_buf, "");
    proc_free(&p);
}
END_TEST

/* A preload before the shim unsets a variable in its constructor: the
 * environment's terminator moves down, and what follows it is not the
 * auxiliary vector; the shim must notice (AT_SECURE is read there). */
START_TEST(sigterm_runs_everything_after_an_earlier_constructors_unsetenv)
{
    int st;
    char *want = reference("exitfns", "exit", &st);
    char preload[2048];
    /* the later preload's constructor runs first */
    snprintf(preload, sizeof preload, "LD_PRELOAD=%s:%s", shim_path(),
             prog_path("libunsetenv_preload.so"));
    const char *const env[] = {"ME_UNSET_ME=1", preload, "MULTIEXIT_VERBOSE=1", NULL};
    struct proc p;
    char line[64];
    proc_start_ready(&p, false, env, T, line, sizeof line, prog_path("exitfns"), "wait");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, want);
    ck_assert_int_eq(count_of(p.err_buf, "multiexit: active in "), 1);
    ck_assert_int_eq(count_of(p.err_buf, " exit functions, dying by SIGTERM\n"), 1);
    proc_free(&p);
    free(want);
}
END_TEST

START_TEST(cxx_static_destructors_run)
{
    int st;
    char *want = reference("cxx_static", "exit", &st);
    ck_assert_int_eq(count_of(want, "dtor global a"), 1);
    struct proc p;
    run_and_signal(&p, NULL, "cxx_static", "wait", SIGTERM, 1);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
    free(want);
}
END_TEST

START_TEST(sigint_runs_everything)
{
    int st;
    char *want = reference("exitfns", "exit-int", &st);
    struct proc p;
    run_and_signal(&p, NULL, "exitfns", "wait", SIGINT, 1);
    ck_assert_died_by(&p, SIGINT);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
    free(want);
}
END_TEST

static const char *const env_hup[] = {"MULTIEXIT_SIGNALS=HUP", NULL};

START_TEST(signals_variable_chooses_signals)
{
    int st;
    char *want = reference("exitfns", "exit-hup", &st);
    struct proc p;
    run_and_signal(&p, env_hup, "exitfns", "wait", SIGHUP, 1);
    ck_assert_died_by(&p, SIGHUP);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
    /* SIGTERM is no longer managed: it kills at once, as without the shim */
    run_and_signal(&p, env_hup, "exitfns", "wait", SIGTERM, 1);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "");
    proc_free(&p);
    free(want);
}
END_TEST

/* Managed signals whose default is to stop or to be ignored keep that
 * default; one whose default dumps core still dies by it after cleanup. */
START_TEST(non_terminating_defaults_are_kept)
{
    static const char *const env[] = {"MULTIEXIT_SIGNALS=TERM,TSTP,CHLD,WINCH,QUIT", NULL};
    struct proc p;
    char line[64];
    int st;
    proc_start_ready(&p, true, env, T, line, sizeof line, prog_path("chain"), "plain");
    proc_kill(&p, SIGTSTP);
    ck_assert_int_eq(waitpid(p.pid, &st, WUNTRACED), p.pid);
    ck_assert_msg(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTSTP, "not stopped by SIGTSTP: %#x", st);
    proc_kill(&p, SIGCONT);
    static const int ignored[] = {SIGWINCH, SIGCHLD}; /* ignored by default */
    for (int i = 0; i < 2; i++) {
        proc_kill(&p, ignored[i]);
        proc_send(&p, "x"); /* answered only once the signal was handled */
        ck_assert_msg(proc_wait_ready(&p, line, sizeof line, T), "signal %d ended it", ignored[i]);
        ck_assert_str_eq(line, "alive");
    }
    proc_kill(&p, SIGQUIT); /* terminates (with a core where allowed): cleanup first */
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGQUIT);
    ck_assert_str_eq(p.out_buf, "exitfn\n");
    proc_free(&p);
}
END_TEST

START_TEST(ignored_sigterm_is_survived)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("exitfns"), "ignore");
    proc_kill(&p, SIGTERM); /* ignored: discarded before kill() returns */
    proc_close_stdin(&p);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    ck_assert_str_eq(p.out_buf, "main line\natexit 3\non_exit status=0 arg=x\natexit 2\natexit 1\n"
                                "destructor\n");
    proc_free(&p);
}
END_TEST

START_TEST(inherited_ignore_is_kept)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("exitfns"), "inherited");
    proc_kill(&p, SIGTERM);
    proc_close_stdin(&p);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    ck_assert_int_eq(count_of(p.out_buf, "inherited SIG_IGN\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "atexit 1\n"), 1);
    proc_free(&p);
}
END_TEST

START_TEST(repeated_signals_run_once)
{
    int st;
    char *want = reference("exitfns", "exit", &st);
    for (int threads = 0; threads < 2; threads++) {
        struct proc p;
        run_and_signal(&p, NULL, "exitfns", threads ? "threads" : "wait", SIGTERM, 5);
        ck_assert_died_by(&p, SIGTERM);
        ck_assert_str_eq(p.out_buf, want);
        proc_free(&p);
    }
    free(want);
}
END_TEST

static const char *const env_t1[] = {"MULTIEXIT_TIMEOUT=1", NULL};

START_TEST(timeout_bounds_cleanup)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, env_t1, T, line, sizeof line, prog_path("exitfns"), "block");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    /* the watchdog's SIGTERM, not the last resort's SIGKILL (2 s later) nor
     * the harness's deadline: no wall clock needed outside test_stress */
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_int_eq(count_of(p.out_buf, "blocker entered"), 1);
    proc_free(&p);
}
END_TEST

START_TEST(dlclosed_library_functions_run_at_dlclose_only)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("dl_main"), prog_path("libdl_lib.so"));
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "before dlclose\nlib exitfn\nafter dlclose\nmain exitfn\n");
    proc_free(&p);
}
END_TEST

START_TEST(works_before_the_shim_constructor)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("early_main"));
    proc_kill(&p, SIGINT); /* the early library's handler: the program goes on */
    proc_send(&p, "x");
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert_str_eq(line, "alive");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "early INT handler\nmain exitfn\nearly exitfn\n");
    proc_free(&p);
}
END_TEST

/* Initialised from the early library's constructor, before the shim's own
 * (which is handed the environment by glibc): the variables still apply. */
START_TEST(early_initialisation_reads_the_environment)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, env_hup, T, line, sizeof line, prog_path("early_main"));
    proc_kill(&p, SIGHUP);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGHUP);
    ck_assert_str_eq(p.out_buf, "main exitfn\nearly exitfn\n");
    proc_free(&p);
}
END_TEST

/* The shim calls "the next sigaction" as dlsym(RTLD_NEXT) defines it: a
 * peer preload listed after it sees the shim's installs; one listed before
 * it sees the program's. Cleanup works either way. */
START_TEST(peer_preload_wrapping_sigaction_is_next_in_line)
{
    int st;
    char *want = reference("exitfns", "exit", &st);
    char after[1024], before[2048];
    snprintf(after, sizeof after, "LD_PRELOAD=%s", prog_path("libsigaction_peer.so"));
    snprintf(before, sizeof before, "LD_PRELOAD=%s:%s", prog_path("libsigaction_peer.so"),
             shim_path());
    const char *const env_after[] = {after, NULL}, *const env_before[] = {before, NULL};
    struct proc p;
    char line[64];

    proc_start_ready(&p, true, env_after, T, line, sizeof line, prog_path("exitfns"), "wait");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, want);
    /* the shim took SIGTERM over at start-up through the peer */
    ck_assert_int_ge(count_of(p.err_buf, "peer: SIGTERM install\n"), 1);
    proc_free(&p);

    /* before the shim: it sees the program's sigaction call (comp1 uses
     * signal(), which reaches glibc without passing through it), and the
     * shim still chains both */
    proc_start_ready(&p, false, env_before, T, line, sizeof line, prog_path("chain"), "two");
    proc_kill(&p, SIGTERM);
    proc_send(&p, "x");
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert_str_eq(line, "alive");
    proc_close_stdin(&p);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    ck_assert_str_eq(p.out_buf, "main handler\ncomp1 handler\nexitfn\n");
    ck_assert_int_eq(count_of(p.err_buf, "peer: SIGTERM install\n"), 1);
    proc_free(&p);
    free(want);
}
END_TEST

static const char *const env_bad[] = {"MULTIEXIT_SIGNALS=TERM,BOGUS,KILL,99", NULL};

START_TEST(bad_tokens_are_reported_and_the_rest_applies)
{
    int st;
    char *want = reference("exitfns", "exit", &st);
    struct proc p;
    run_and_signal(&p, env_bad, "exitfns", "wait", SIGTERM, 1);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, want);
    ck_assert_int_eq(count_of(p.err_buf, "\n"), 3);
    ck_assert_int_eq(count_of(p.err_buf, "multiexit: MULTIEXIT_SIGNALS: ignoring "), 3);
    ck_assert_int_eq(count_of(p.err_buf, "'BOGUS': unknown signal"), 1);
    ck_assert_int_eq(count_of(p.err_buf, "'KILL': cannot be caught"), 1);
    ck_assert_int_eq(count_of(p.err_buf, "'99': no such signal"), 1);
    proc_free(&p);
    free(want);
}
END_TEST

/* A setgid copy of a program linked with -lmultiexit runs with AT_SECURE:
 * the library leaves it alone (SEMANTICS section 1): no variable read, no
 * signal managed (multiexit_set_signals refuses with EPERM, the kernel
 * keeps SIG_DFL), and SIGTERM kills it at once without running its atexit
 * function, exactly as without the library. */
/* prog run setgid (env), then not (plain_env) */
static void privileged_is_left_alone(const char *prog, const char *const *env,
                                     const char *const *plain_env)
{
    char dir[] = "/tmp/me-secure-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    chmod(dir, 0755);
    char copy[256], cmd[1024];
    snprintf(copy, sizeof copy, "%s/%s", dir, prog);
    snprintf(cmd, sizeof cmd, "cp %s %s && chgrp 65534 %s && chmod 2755 %s", prog_path(prog),
             copy, copy, copy);
    ck_assert_int_eq(system(cmd), 0);
    struct proc p;
    char line[128];
    proc_start_ready(&p, false, env, T, line, sizeof line, copy);
    ck_assert_str_eq(line, "secure=1 set_signals=-1/EPERM term=default");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, ""); /* no cleanup */
    ck_assert_str_eq(p.err_buf, ""); /* MULTIEXIT_VERBOSE was not read */
    proc_free(&p);
    /* the same program, not privileged: the library manages its signals */
    proc_start_ready(&p, false, plain_env, T, line, sizeof line, prog_path(prog));
    ck_assert_str_eq(line, "secure=0 set_signals=0 term=default");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "secure exitfn\n");
    proc_free(&p);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(secure_mode_is_left_alone)
{
    static const char *const env[] = {"MULTIEXIT_SIGNALS=HUP", "MULTIEXIT_VERBOSE=1", NULL};
    privileged_is_left_alone("secure_prog", env, NULL);
}
END_TEST

/* The same, with a library whose constructor runs before the shim's and
 * calls unsetenv(): what follows the environment's new terminator is not
 * the auxiliary vector, and AT_SECURE must not be read from it as 0. */
START_TEST(secure_mode_is_left_alone_after_an_earlier_unsetenv)
{
    static const char *const env[] = {"ME_UNSET_ME=1", "MULTIEXIT_VERBOSE=1", NULL};
    privileged_is_left_alone("secure_unset_prog", env, env);
}
END_TEST

START_TEST(normal_exit_and_return_unchanged)
{
    static const char *const modes[] = {"exit", "return", "stdin"};
    for (int i = 0; i < 3; i++) {
        int st;
        char *want = reference("exitfns", modes[i], &st);
        struct proc p;
        proc_spawn(&p, true, NULL, prog_path("exitfns"), modes[i], NULL);
        proc_close_stdin(&p);
        proc_finish(&p, T);
        ck_assert_str_eq(p.out_buf, want);
        ck_assert_str_eq(p.err_buf, "");
        ck_assert_int_eq(p.status, st);
        proc_free(&p);
        free(want);
    }
    int st;
    char *want = reference("cxx_static", "exit", &st);
    struct proc p;
    proc_spawn(&p, true, NULL, prog_path("cxx_static"), "exit", NULL);
    proc_finish(&p, T);
    ck_assert_str_eq(p.out_buf, want);
    ck_assert_int_eq(p.status, st);
    proc_free(&p);
    free(want);
}
END_TEST

START_TEST(shell_sees_143)
{
    char script[1024];
    snprintf(script, sizeof script,
             "LD_PRELOAD=%s sleep 30 & kill -TERM $!; wait $!; echo $?", shim_path());
    struct proc p;
    proc_spawn(&p, false, NULL, "/bin/bash", "-c", script, NULL);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    ck_assert_str_eq(p.out_buf, "143\n");
    proc_free(&p);
}
END_TEST

/* A few trials as a correctness check (also under the sanitizers); the
 * 500-trial run, with its 1 s bound on every end, is test_stress's. */
START_TEST(no_deadlock_when_interrupting_malloc_and_stdio)
{
    int hangs, wrong, slow;
    double worst;
    int trials = me_trials(50);
    busy_trials(trials, 12345, &hangs, &wrong, &slow, &worst);
    ck_assert_msg(hangs == 0 && wrong == 0, "%d trials: %d hangs, %d wrong (worst %.3f s)", trials,
                  hangs, wrong, worst);
}
END_TEST

START_TEST(one_thread_owns_the_exit)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("race"));
    proc_kill(&p, SIGTERM); /* taken by the helper thread: the gate closes */
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert_str_eq(line, "gate");
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert_str_eq(line, "returning");
    /* main has returned: it must now wait for the owner (blocked in pause,
     * or ppoll where there is no pause), not walk the list */
    ck_assert_msg(proc_wait_syscall(&p, ME_SYS_BLOCKED, T),
                  "main thread did not wait for the exit owner");
    proc_send(&p, "x"); /* open the gate */
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "gate start\ngate end\nolder exitfn\ndestructor\n");
    proc_free(&p);
}
END_TEST

/* A vfork child sharing the memory when SIGTERM hits the process group:
 * the child dies at once, the parent cleans up once and dies by SIGTERM. */
START_TEST(vfork_child_never_takes_the_parents_exit)
{
    for (int preload = 0; preload < 2; preload++) {
        struct proc p;
        char line[64];
        proc_spawn(&p, preload, NULL, prog_path("exitcases"), "vfork", NULL);
        ck_assert(proc_wait_ready(&p, line, sizeof line, T));
        kill(-p.pid, SIGTERM);
        proc_finish(&p, T);
        ck_assert_msg(died_by(&p, SIGTERM), "shim %d: status: %s", preload, status_str(&p));
        char want[64];
        snprintf(want, sizeof want, "atexit in %d\n", (int)p.pid);
        ck_assert_str_eq(p.out_buf, preload ? want : "");
        proc_free(&p);
    }
}
END_TEST

/* No timer can be made (RLIMIT_SIGPENDING 0): a process busy in libc still
 * dies by SIGTERM, as without the shim. */
START_TEST(no_timers_still_dies_by_the_signal)
{
    static const char *const env[] = {"MULTIEXIT_VERBOSE=1", NULL};
    for (int preload = 0; preload < 2; preload++) {
        struct proc p;
        char line[64];
        proc_spawn(&p, preload, preload ? env : NULL, prog_path("exitcases"), "notimers", NULL);
        ck_assert(proc_wait_ready(&p, line, sizeof line, T));
        for (int i = 0; i < 3; i++)
            proc_kill(&p, SIGTERM);
        proc_finish(&p, T);
        ck_assert_msg(died_by(&p, SIGTERM), "shim %d: status: %s", preload, status_str(&p));
        /* and, asked to, says why no cleanup ran */
        ck_assert_msg(!preload || count_of(p.err_buf, "no timer can be made") == 1, "stderr: %s",
                      p.err_buf);
        proc_free(&p);
    }
}
END_TEST

/* A managed fault raised by the interrupted instruction cannot be deferred:
 * inside libc it kills at once; in the program's own code the cleanup
 * runs first. */
START_TEST(managed_fault_is_never_deferred)
{
    static const char *const env[] = {"MULTIEXIT_SIGNALS=TERM,INT,SEGV", NULL};
    static const char *const modes[] = {"segv", "segv-own"};
    for (int i = 0; i < 2; i++) {
        struct proc p;
        proc_spawn(&p, true, env, prog_path("exitcases"), modes[i], NULL);
        proc_finish(&p, T);
        ck_assert_msg(died_by(&p, SIGSEGV), "%s: status: %s", modes[i], status_str(&p));
        char want[64] = "";
        if (i == 1)
            snprintf(want, sizeof want, "atexit in %d\n", (int)p.pid);
        ck_assert_str_eq(p.out_buf, want);
        proc_free(&p);
    }
}
END_TEST

/* An exit function that calls exit() again, on the thread that owns the
 * exit: glibc goes on with the remaining functions (the new status wins),
 * and so must the shim, in a normal exit and in a signal exit (where the
 * process still dies by the signal). Tells the owning thread from others. */
START_TEST(exit_called_again_from_an_exit_function)
{
    static const char want[] = "last registered\nmiddle, exit(7)\nfirst registered\n";
    struct proc p;
    for (int shim = 0; shim < 2; shim++) {
        proc_spawn(&p, shim, NULL, prog_path("exitcases"), "exit-again", NULL);
        proc_finish(&p, T);
        ck_assert_msg(exited_with(&p, 7), "%s: status: %s", shim ? "with" : "without",
                      status_str(&p));
        ck_assert_str_eq(p.out_buf, want);
        proc_free(&p);
    }
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("exitcases"), "exit-again",
                     "wait");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
}
END_TEST

/* Signals raised by the cleanup itself end it; the process dies by the
 * signal that started it: SIGPIPE from the flush, SIGABRT from a joinable
 * global std::thread. */
START_TEST(signal_raised_by_the_cleanup_dies_by_the_first)
{
    struct proc p;
    run_and_signal(&p, NULL, "exitcases", "pipe", SIGTERM, 1);
    ck_assert_msg(died_by(&p, SIGTERM), "pipe: status: %s", status_str(&p));
    ck_assert_str_eq(p.err_buf, "atexit ran\n");
    proc_free(&p);
    run_and_signal(&p, NULL, "cxx_thread", NULL, SIGTERM, 1);
    ck_assert_msg(died_by(&p, SIGTERM), "std::thread: status: %s", status_str(&p));
    ck_assert_int_eq(count_of(p.err_buf, "atexit ran\n"), 1);
    proc_free(&p);
}
END_TEST

/* Lines "line N" from 1 on, each once and whole; only the last may be cut
 * short. */
static bool clean_prefix(const char *out, char *why, size_t n)
{
    unsigned long k = 1;
    for (const char *s = out; *s; k++) {
        char want[32];
        int len = snprintf(want, sizeof want, "line %lu\n", k);
        const char *nl = strchr(s, '\n');
        if (!nl) /* the last, cut: a prefix of what it should be */
            return strncmp(s, want, strlen(s)) == 0 ||
                   (snprintf(why, n, "last line '%.20s', want line %lu", s, k), false);
        if ((size_t)(nl + 1 - s) != (size_t)len || strncmp(s, want, (size_t)len) != 0) {
            snprintf(why, n, "at line %lu: '%.*s'", k, (int)(nl - s), s);
            return false;
        }
        s = nl + 1;
    }
    return true;
}

/* Another thread writing to stdout while the exit flushes it: the flush
 * takes the stream's lock, so nothing is written twice or torn. */
START_TEST(final_flush_takes_the_stream_locks)
{
    for (int trial = 0; trial < 20; trial++) {
        struct proc p;
        char why[96] = "";
        run_and_signal(&p, NULL, "mtwriter", NULL, SIGTERM, 1);
        ck_assert_msg(died_by(&p, SIGTERM), "trial %d: status: %s", trial, status_str(&p));
        ck_assert_msg(clean_prefix(p.out_buf, why, sizeof why), "trial %d: %s", trial, why);
        proc_free(&p);
    }
}
END_TEST

/* MULTIEXIT_VERBOSE: one line when a process image starts with the
 * library, naming the pid and the settings it runs with, so a service's
 * log shows it is covered; a forked child (the same image) says nothing,
 * an exec'd image says it again. Without the variable: nothing. */
START_TEST(verbose_says_active_at_start)
{
    static const struct {
        const char *env[4];
        const char *settings;
    } cases[] = {
        {{"MULTIEXIT_VERBOSE=1", NULL}, "signals SIGINT,SIGTERM, timeout 30s"},
        {{"MULTIEXIT_VERBOSE=yes", "MULTIEXIT_SIGNALS=TERM,HUP", "MULTIEXIT_TIMEOUT=2.5"},
         "signals SIGHUP,SIGTERM, timeout 2.5s"},
        {{"MULTIEXIT_VERBOSE=1", "MULTIEXIT_SIGNALS=USR1", "MULTIEXIT_TIMEOUT=0"},
         "signals SIGUSR1, timeout none"},
        {{"MULTIEXIT_VERBOSE=1", "MULTIEXIT_TIMEOUT=0.05"}, "signals SIGINT,SIGTERM, timeout 0.05s"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct proc p;
        proc_spawn(&p, true, cases[i].env, prog_path("plain"), NULL);
        proc_finish(&p, T);
        ck_assert_exited_with(&p, 0);
        char want[160];
        snprintf(want, sizeof want, "multiexit: active in %d (%s)\n", (int)p.pid,
                 cases[i].settings);
        ck_assert_str_eq(p.err_buf, want);
        proc_free(&p);
    }
    /* without the variable, or set empty or off: nothing */
    struct proc p;
    static const char *const quiet[][2] = {{NULL}, {"MULTIEXIT_VERBOSE=", NULL},
                                           {"MULTIEXIT_VERBOSE=0", NULL}};
    for (size_t i = 0; i < 3; i++) {
        proc_spawn(&p, true, quiet[i], prog_path("plain"), NULL);
        proc_finish(&p, T);
        ck_assert_exited_with(&p, 0);
        ck_assert_str_eq(p.err_buf, "");
        proc_free(&p);
    }
}
END_TEST

/* An image exec'd by a preloaded one says it again, with the same pid. */
START_TEST(verbose_says_active_again_after_exec)
{
    static const char *const env[] = {"MULTIEXIT_VERBOSE=1", NULL};
    static const char settings[] = "signals SIGINT,SIGTERM, timeout 30s";
    struct proc p;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "exec %s", prog_path("plain"));
    proc_spawn(&p, true, env, "/bin/sh", "-c", cmd, NULL);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    char want[200];
    snprintf(want, sizeof want, "multiexit: active in %d (%s)\nmultiexit: active in %d (%s)\n",
             (int)p.pid, settings, (int)p.pid, settings);
    ck_assert_str_eq(p.err_buf, want);
    proc_free(&p);
}
END_TEST

/* PID 1 of a pid namespace: the kernel lets it die by no signal it does not
 * handle; the cleanup runs and it exits with 128 + 15, and says so. Sent
 * from outside the namespace and from inside. */
START_TEST(pid1_exits_with_128_plus_sig)
{
    static const char *const env[] = {"MULTIEXIT_VERBOSE=1", NULL};
    for (int inside = 0; inside < 2; inside++) {
        struct proc p;
        char line[64];
        proc_spawn(&p, true, env, "/usr/bin/unshare", "--pid", "--fork", ME_UNSHARE_DFL,
                   prog_path("exitcases"), "pid1", inside ? "inside" : "outside", NULL);
        ck_assert_msg(proc_wait_ready(&p, line, sizeof line, T), "not ready: %s", p.err_buf);
        if (inside)
            proc_close_stdin(&p);
        else
            kill((pid_t)atoi(line + 6), SIGTERM);
        proc_finish(&p, T);
        ck_assert_msg(exited_with(&p, 143), "inside %d: status: %s", inside, status_str(&p));
        ck_assert_str_eq(p.out_buf, "atexit in 1\n");
        ck_assert_msg(count_of(p.err_buf, "exiting with status 143") == 1 &&
                          count_of(p.err_buf, "dying by") == 0,
                      "inside %d: %s", inside, p.err_buf);
        proc_free(&p);
    }
}
END_TEST

/* A managed signal during a normal exit() that never ends (an exit
 * function that blocks, a final flush into a pipe nobody reads): without
 * the shim the process dies by it at once; with it the exit goes on as the
 * cleanup, bounded by MULTIEXIT_TIMEOUT, then the process dies by it. It
 * waited for ever before. */
static void stuck_normal_exit(const char *mode, long blocked_in)
{
    static const char *const env[] = {"MULTIEXIT_TIMEOUT=1", "MULTIEXIT_VERBOSE=1", NULL};
    for (int shim = 0; shim < 2; shim++) {
        struct proc p;
        char line[32];
        proc_spawn(&p, shim, shim ? env : NULL, prog_path("exitcases"), mode, NULL);
        ck_assert_msg(proc_wait_ready(&p, line, sizeof line, T), "%s: not ready", mode);
        ck_assert_msg(proc_wait_syscall(&p, blocked_in, T), "%s: never blocked", mode);
        proc_kill(&p, SIGTERM);
        /* a hang is what is tested: the generous deadline only catches it
         * (the bound itself, 1 s, is the verbose line's business) */
        proc_finish(&p, me_bound(T));
        ck_assert_msg(died_by(&p, SIGTERM), "%s, shim %d: status %s", mode, shim, status_str(&p));
        if (shim)
            ck_assert_msg(count_of(p.err_buf, "SIGTERM received during exit()") == 1 &&
                              count_of(p.err_buf, "cleanup timed out, dying by SIGTERM") == 1,
                          "%s: stderr: %s", mode, p.err_buf);
        proc_free(&p);
    }
}

START_TEST(signal_during_a_stuck_exit_function_ends_it)
{
    stuck_normal_exit("stuck-exitfn", ME_SYS_BLOCKED);
}
END_TEST

START_TEST(signal_during_a_stuck_final_flush_ends_it)
{
    stuck_normal_exit("stuck-flush", SYS_write);
}
END_TEST

/* A signal that finds the thread inside stdio's write to a pipe that does
 * not drain: the cleanup waits for a safe point, at most MULTIEXIT_TIMEOUT,
 * and says why when asked to. */
START_TEST(deferred_in_a_stdio_write_says_why)
{
    static const char *const env[] = {"MULTIEXIT_TIMEOUT=1", "MULTIEXIT_VERBOSE=1", NULL};
    struct proc p;
    char line[32];
    proc_spawn(&p, true, env, prog_path("exitcases"), "stdio-blocked", NULL);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert(proc_wait_syscall(&p, SYS_write, T));
    proc_kill(&p, SIGTERM);
    proc_finish(&p, me_bound(T));
    ck_assert_msg(died_by(&p, SIGTERM), "status %s", status_str(&p));
    ck_assert_msg(count_of(p.err_buf, "cleanup deferred") == 1 &&
                      count_of(p.err_buf, "(a write, maybe stdio's, that has not returned)") == 1,
                  "stderr: %s", p.err_buf);
    proc_free(&p);
}
END_TEST

/* Two copies of the library in one process (a whole-host install plus
 * another prefix's, two builds): the first loaded does the work, the other
 * passes every call through and says so. The same file under a second
 * name is loaded once by glibc. Both crashed the program before (the
 * dispatchers called each other: SIGSEGV, no cleanup). */
START_TEST(a_second_copy_passes_through)
{
    int st;
    char *want = reference("exitfns", "exit", &st);
    char dir[] = "/tmp/me-copies-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char copy[128], link[128], cmd[512];
    snprintf(copy, sizeof copy, "%s/libmultiexit-copy.so", dir);
    snprintf(link, sizeof link, "%s/libmultiexit-link.so", dir);
    snprintf(cmd, sizeof cmd, "cp %s %s && ln -s %s %s", shim_path(), copy, shim_path(), link);
    ck_assert_int_eq(system(cmd), 0);
    for (int k = 0; k < 2; k++) {
        char preload[160];
        snprintf(preload, sizeof preload, "LD_PRELOAD=%s", k ? link : copy);
        const char *env[] = {preload, "MULTIEXIT_VERBOSE=1", NULL};
        struct proc p;
        run_and_signal(&p, env, "exitfns", "wait", SIGTERM, 1);
        ck_assert_msg(died_by(&p, SIGTERM), "%s: status %s\n%s", preload, status_str(&p), p.err_buf);
        ck_assert_str_eq(p.out_buf, want);
        ck_assert_msg(count_of(p.err_buf, "another copy of libmultiexit") == (k ? 0 : 1),
                      "%s: stderr: %s", preload, p.err_buf);
        ck_assert_msg(count_of(p.err_buf, "ran ") == 1, "%s: stderr: %s", preload, p.err_buf);
        proc_free(&p);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    free(want);
}
END_TEST

/* multiexit_register's checks: a NULL function and unknown flags fail at
 * the call with EINVAL (they crashed the exit: status 139, the buffered
 * output lost); a valid registration runs. */
START_TEST(register_rejects_null_and_unknown_flags)
{
    struct proc p;
    proc_spawn(&p, false, NULL, prog_path("api_errors"), NULL);
    proc_finish(&p, T);
    ck_assert_msg(exited_with(&p, 0), "status: %s", status_str(&p));
    ck_assert_str_eq(p.out_buf, "null function: -1 EINVAL\nunknown flag: -1 EINVAL\n"
                                "negative flags: -1 EINVAL\nvalid: 0 ok\nbuffered line\nbye\n");
    proc_free(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("exit");
    TCase *tc = tcase_create("signal-initiated exit");
    tcase_set_timeout(tc, 60);
    me_add_test(tc, sigterm_runs_everything_exit_runs);
    me_add_test(tc, sigterm_runs_everything_under_the_dynamic_linker_run_by_hand);
    me_add_test(tc, sigterm_runs_exit_functions_when_the_shim_is_dlopened);
    me_add_test(tc, sigterm_runs_everything_after_an_earlier_constructors_unsetenv);
    me_add_test(tc, cxx_static_destructors_run);
    me_add_test(tc, sigint_runs_everything);
    me_add_test(tc, signals_variable_chooses_signals);
    me_add_test(tc, non_terminating_defaults_are_kept);
    me_add_test(tc, ignored_sigterm_is_survived);
    me_add_test(tc, inherited_ignore_is_kept);
    me_add_test(tc, repeated_signals_run_once);
    me_add_test(tc, timeout_bounds_cleanup);
    me_add_test(tc, dlclosed_library_functions_run_at_dlclose_only);
    me_add_test(tc, works_before_the_shim_constructor);
    me_add_test(tc, early_initialisation_reads_the_environment);
    me_add_test(tc, peer_preload_wrapping_sigaction_is_next_in_line);
    me_add_test(tc, bad_tokens_are_reported_and_the_rest_applies);
    me_add_test(tc, normal_exit_and_return_unchanged);
    me_add_test(tc, shell_sees_143);
    me_add_test(tc, one_thread_owns_the_exit);
    me_add_test(tc, no_timers_still_dies_by_the_signal);
    me_add_test(tc, signal_raised_by_the_cleanup_dies_by_the_first);
    me_add_test(tc, exit_called_again_from_an_exit_function);
    me_add_test(tc, final_flush_takes_the_stream_locks);
    me_add_test(tc, pid1_exits_with_128_plus_sig);
    me_add_test(tc, verbose_says_active_at_start);
    me_add_test(tc, verbose_says_active_again_after_exec);
    me_add_test(tc, register_rejects_null_and_unknown_flags);
    me_add_test(tc, signal_during_a_stuck_exit_function_ends_it);
    me_add_test(tc, signal_during_a_stuck_final_flush_ends_it);
    me_add_test(tc, deferred_in_a_stdio_write_says_why);
    me_add_test(tc, a_second_copy_passes_through);
    suite_add_tcase(s, tc);
    /* its own tagged case: a sanitizer job excludes it (CK_EXCLUDE_TAGS), since a
     * setgid program cannot preload the sanitizer's runtime */
    TCase *secure = tcase_create("secure");
    tcase_set_tags(secure, "setgid");
    tcase_set_timeout(secure, 60);
    me_add_test(secure, secure_mode_is_left_alone);
    me_add_test(secure, secure_mode_is_left_alone_after_an_earlier_unsetenv);
    suite_add_tcase(s, secure);
    /* Not with the shim built with AddressSanitizer (the sanitizer job
     * excludes the tag): its runtime takes SIGSEGV over and aborts, and a
     * vfork child running instrumented code aborts too. */
    TCase *raw = tcase_create("faults and vfork");
    tcase_set_tags(raw, "nosanitizer");
    tcase_set_timeout(raw, 60);
    me_add_test(raw, vfork_child_never_takes_the_parents_exit);
    me_add_test(raw, managed_fault_is_never_deferred);
    suite_add_tcase(s, raw);
    TCase *stress = tcase_create("deadlock safety");
    tcase_set_timeout(stress, 300);
    me_add_test(stress, no_deadlock_when_interrupting_malloc_and_stdio);
    suite_add_tcase(s, stress);
    return s;
}

int main(void)
{
    return run_suite(suite(), true);
}
