/* SPDX-License-Identifier: MIT */
/* Handler chaining: real programs under the preload, real signals. */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define T 10.0

static void start(struct proc *p, const char *const *env, const char *mode)
{
    char line[64];
    proc_start_ready(p, true, env, T, line, sizeof line, prog_path("chain"), mode);
}

/* Sends sig, then a byte; the program answers "alive" only after the
 * signal's handlers ran (pending signals are delivered before read returns). */
static void signal_and_sync(struct proc *p, int sig)
{
    char line[64];
    proc_kill(p, sig);
    proc_send(p, "x");
    ck_assert_msg(proc_wait_ready(p, line, sizeof line, T), "no answer after signal %d", sig);
    ck_assert_str_eq(line, "alive");
}

static void end_normally(struct proc *p)
{
    proc_close_stdin(p);
    proc_finish(p, T);
    ck_assert_exited_with(p, 0);
}

START_TEST(two_components_chain)
{
    struct proc p;
    start(&p, NULL, "two");
    signal_and_sync(&p, SIGTERM);
    end_normally(&p);
    ck_assert_str_eq(p.out_buf, "main handler\ncomp1 handler\nexitfn\n");
    proc_free(&p);
}
END_TEST

START_TEST(five_components_chain_newest_first)
{
    struct proc p;
    start(&p, NULL, "five");
    signal_and_sync(&p, SIGTERM);
    signal_and_sync(&p, SIGTERM);
    end_normally(&p);
    const char *once = "comp4 handler\ncomp3 handler\nmain handler\ncomp2 handler\ncomp1 handler\n";
    char want[512];
    snprintf(want, sizeof want, "%s%sexitfn\n", once, once);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
}
END_TEST

/* Runs `chain mode` to completion with and without the shim. */
static void same_as_without(const char *mode, const char *const *env, struct proc *with)
{
    struct proc bare;
    proc_spawn(&bare, false, env, prog_path("chain"), mode, NULL);
    proc_close_stdin(&bare);
    proc_finish(&bare, T);
    proc_spawn(with, true, env, prog_path("chain"), mode, NULL);
    proc_close_stdin(with);
    proc_finish(with, T);
    ck_assert_str_eq(with->out_buf, bare.out_buf);
    ck_assert_int_eq(with->status, bare.status);
    proc_free(&bare);
}

START_TEST(program_sees_its_own_view)
{
    struct proc p;
    same_as_without("view", NULL, &p);
    /* and what it saw is what the program set, not the dispatcher */
    ck_assert_int_eq(count_of(p.out_buf, "handler=other"), 0);
    ck_assert_int_eq(count_of(p.out_buf, "after sigaction(c): r=0 handler=c"), 1);
    ck_assert_str_eq(p.err_buf, "");
    proc_free(&p);
}
END_TEST

/* The flags a program reads back: glibc adds SA_RESTORER (its own signal
 * return code) on x86-64; on aarch64 the kernel's vDSO returns, no flag. */
#if defined(__x86_64__)
#define LIBC_RESTORER 0x04000000
#else
#define LIBC_RESTORER 0
#endif

START_TEST(save_restore_leaves_the_older_handler)
{
    struct proc p;
    start(&p, NULL, "saverestore");
    signal_and_sync(&p, SIGTERM);
    end_normally(&p);
    char want[128];
    snprintf(want, sizeof want, "restored: r=0 handler=a flags=%#x mask=0\na\nexitfn\n",
             LIBC_RESTORER);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
}
END_TEST

START_TEST(reraise_idiom_runs_once_and_dies)
{
    struct proc p;
    start(&p, NULL, "reraise");
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "reraiser\nexitfn\n");
    proc_free(&p);
}
END_TEST

START_TEST(sysv_rearm_keeps_the_others)
{
    struct proc p;
    start(&p, NULL, "rearm");
    signal_and_sync(&p, SIGTERM);
    signal_and_sync(&p, SIGTERM);
    end_normally(&p);
    ck_assert_str_eq(p.out_buf, "rearm\ncomp1 handler\nrearm\ncomp1 handler\nexitfn\n");
    proc_free(&p);
}
END_TEST

START_TEST(resethand_runs_once_then_default)
{
    struct proc p;
    start(&p, NULL, "oneshot");
    signal_and_sync(&p, SIGTERM);
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_str_eq(p.out_buf, "b\ncomp1 handler\ncomp1 handler\nexitfn\n");
    proc_free(&p);
}
END_TEST

START_TEST(siginfo_reaches_three_argument_handlers)
{
    struct proc p;
    char line[64];
    start(&p, NULL, "siginfo");
    union sigval v = {.sival_int = 42};
    ck_assert_int_eq(sigqueue(p.pid, SIGTERM, v), 0);
    proc_send(&p, "x");
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    end_normally(&p);
    char want[256];
    snprintf(want, sizeof want,
             "b\ncomp2 info3 sig=15 pid=%d code=%d value=42\ncomp1 handler\nexitfn\n",
             (int)getpid(), SI_QUEUE);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
}
END_TEST

START_TEST(each_handler_runs_with_its_own_mask)
{
    struct proc p;
    start(&p, NULL, "masks");
    signal_and_sync(&p, SIGTERM);
    end_normally(&p);
    ck_assert_str_eq(p.out_buf, "nodefer: TERM open, USR1 open\n"
                                "comp1 masked: TERM blocked, USR1 blocked\nexitfn\n");
    proc_free(&p);
}
END_TEST

/* The program blocks in read(); the signal arrives while it is blocked. */
static void eintr_case(const char *mode, bool preload, char **out)
{
    struct proc p;
    char line[64];
    proc_spawn(&p, preload, NULL, prog_path("chain"), mode, NULL);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert_msg(proc_wait_syscall(&p, SYS_read, T), "%s: not blocked in read", mode);
    proc_kill(&p, SIGTERM);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert_str_eq(line, "handled");
    proc_send(&p, "x"); /* completes a restarted read */
    proc_close_stdin(&p);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    *out = strdup(p.out_buf);
    proc_free(&p);
}

START_TEST(eintr_exactly_as_without_the_shim)
{
    static const struct {
        const char *mode, *want;
    } cases[] = {
        {"eintr-sigaction", "a\nread=-1 errno=EINTR\nexitfn\n"},
        {"eintr-signal", "a\nread=1 errno=-\nexitfn\n"},
        {"eintr-siginterrupt", "a\nread=-1 errno=EINTR\nexitfn\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *bare, *with;
        eintr_case(cases[i].mode, false, &bare);
        eintr_case(cases[i].mode, true, &with);
        ck_assert_str_eq(bare, cases[i].want);
        ck_assert_str_eq(with, cases[i].want);
        free(bare);
        free(with);
    }
}
END_TEST

START_TEST(sig_ign_is_inherited_across_exec)
{
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("chain"), "ign-exec", prog_path("exitfns"));
    proc_kill(&p, SIGTERM);
    proc_close_stdin(&p);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    ck_assert_int_eq(count_of(p.out_buf, "inherited SIG_IGN\n"), 1);
    proc_free(&p);
}
END_TEST

START_TEST(storm_of_queued_signals_while_installing)
{
    static const char *const env[] = {"MULTIEXIT_SIGNALS=TERM,INT,RTMIN+1", NULL};
    const int n = 100000;
    struct proc p;
    start(&p, env, "storm");
    union sigval v = {.sival_int = 7};
    for (int i = 0; i < n; i++) {
        while (sigqueue(p.pid, SIGRTMIN + 1, v) != 0) {
            ck_assert_int_eq(errno, EAGAIN); /* queue full: let it drain */
            sched_yield();
        }
    }
    end_normally(&p);
    char want[64];
    snprintf(want, sizeof want, "count=%d\nexitfn\n", n);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
}
END_TEST

/* A vfork child resets the handler: its parent's view stays as it was. */
static void parent_view_kept(const char *mode)
{
    struct proc p;
    same_as_without(mode, NULL, &p);
    ck_assert_exited_with(&p, 0);
    char want[128];
    snprintf(want, sizeof want,
             "parent after vfork child reset: r=0 handler=a flags=%#x mask=0x4000\na\n"
             "parent goes on\nexitfn\n", SA_RESTART | LIBC_RESTORER);
    ck_assert_str_eq(p.out_buf, want);
    proc_free(&p);
}

START_TEST(vfork_child_cannot_change_the_parents_view) { parent_view_kept("vfork-reset"); }
END_TEST

/* A vfork child of a forked child must not be taken for a process of its
 * own: the forked child's wiped pid cache is filled by the vfork wrapper
 * before the vfork child shares it (fails without that). */
START_TEST(vfork_child_of_a_forked_child_cannot_change_its_view)
{
    parent_view_kept("fork-vfork-reset");
}
END_TEST

START_TEST(system_and_abort_unchanged)
{
    struct proc p;
    same_as_without("system", NULL, &p);
    ck_assert_str_eq(p.out_buf, "from system\nsystem=768\nexitfn\n");
    proc_free(&p);
    same_as_without("abort", NULL, &p);
    ck_assert_died_by(&p, SIGABRT);
    ck_assert_str_eq(p.out_buf, "before abort\n");
    proc_free(&p);
    /* with ABRT managed, abort() cleans up and still dies by SIGABRT */
    static const char *const env[] = {"MULTIEXIT_SIGNALS=TERM,ABRT", NULL};
    proc_spawn(&p, true, env, prog_path("chain"), "abort", NULL);
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGABRT);
    ck_assert_str_eq(p.out_buf, "before abort\nexitfn\n");
    proc_free(&p);
}
END_TEST

/* A stack walk from a handler and from an exit function reaches main
 * through the shim's dispatcher and exit path, as it does without them
 * (backtraces in crash reporters, C++ exceptions, thread cancellation). */
START_TEST(stack_walks_cross_the_shim)
{
    static const char *const modes[] = {"signal", "exit"};
    static const char *const want[] = {
        "handler: prog_handler prog_deep main\nreturned\nexit function: prog_exit_function\n",
        "exit function: prog_exit_function prog_deep main\n"};
    for (int k = 0; k < 2; k++) {
        struct proc bare, with;
        proc_spawn(&bare, false, NULL, prog_path("unwind"), modes[k], NULL);
        proc_finish(&bare, T);
        ck_assert_str_eq(bare.out_buf, want[k]);
        proc_spawn(&with, true, NULL, prog_path("unwind"), modes[k], NULL);
        proc_finish(&with, T);
        ck_assert_str_eq(with.out_buf, want[k]);
        ck_assert_exited_with(&with, 0);
        proc_free(&bare);
        proc_free(&with);
    }
}
END_TEST

/* No address space for the handler chains (mapped on the first install):
 * the signal is left to libc and the program works as without the shim. */
START_TEST(no_memory_for_chains_leaves_the_signal_to_libc)
{
    for (int preload = 0; preload < 2; preload++) {
        struct proc p;
        char line[64];
        proc_spawn(&p, preload, NULL, prog_path("nomem"), NULL);
        ck_assert_msg(proc_wait_ready(&p, line, sizeof line, T), "preload %d: no ready", preload);
        proc_kill(&p, SIGTERM);
        proc_finish(&p, T);
        ck_assert_msg(exited_with(&p, 0), "preload %d: status: %s\n%s", preload, status_str(&p),
                      p.err_buf);
        ck_assert_str_eq(p.out_buf, "handler ran for signal 15\n");
        if (preload)
            ck_assert_msg(strstr(p.err_buf, "no memory for SIGTERM") != NULL, "stderr: %s",
                          p.err_buf);
        proc_free(&p);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("chain");
    TCase *tc = tcase_create("chaining");
    tcase_set_timeout(tc, 120);
    me_add_test(tc, two_components_chain);
    me_add_test(tc, stack_walks_cross_the_shim);
    me_add_test(tc, no_memory_for_chains_leaves_the_signal_to_libc);
    me_add_test(tc, five_components_chain_newest_first);
    me_add_test(tc, program_sees_its_own_view);
    me_add_test(tc, save_restore_leaves_the_older_handler);
    me_add_test(tc, reraise_idiom_runs_once_and_dies);
    me_add_test(tc, sysv_rearm_keeps_the_others);
    me_add_test(tc, resethand_runs_once_then_default);
    me_add_test(tc, siginfo_reaches_three_argument_handlers);
    me_add_test(tc, each_handler_runs_with_its_own_mask);
    me_add_test(tc, eintr_exactly_as_without_the_shim);
    me_add_test(tc, sig_ign_is_inherited_across_exec);
    me_add_test(tc, storm_of_queued_signals_while_installing);
    me_add_test(tc, vfork_child_cannot_change_the_parents_view);
    me_add_test(tc, vfork_child_of_a_forked_child_cannot_change_its_view);
    me_add_test(tc, system_and_abort_unchanged);
    suite_add_tcase(s, tc);
    return run_suite(s, true);
}
