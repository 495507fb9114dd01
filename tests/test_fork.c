/* SPDX-License-Identifier: MIT */
/* Exit-function ownership across fork, daemon(), vfork and the C API. */
#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"
#include "../registry/sigchain.h"

#define T 20.0

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void prefork(bool term)
{
    char pidfile[] = "/tmp/me-prefork-XXXXXX";
    int fd = mkstemp(pidfile);
    close(fd);
    struct proc p;
    char line[512];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("prefork"), term ? "term" : "exit", pidfile);
    if (term) {
        char *s = line + strlen("workers");
        for (int i = 0; i < 8; i++)
            kill((pid_t)strtol(s, &s, 10), SIGTERM);
    }
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    ck_assert_str_eq(line, "reaped");
    ck_assert_msg(exists(pidfile), "a worker removed the master's pid file");
    if (term)
        proc_kill(&p, SIGTERM);
    else
        proc_close_stdin(&p);
    proc_finish(&p, T);
    if (term)
        ck_assert_died_by(&p, SIGTERM);
    else
        ck_assert_exited_with(&p, 0);
    ck_assert_msg(!exists(pidfile), "pid file left behind");
    ck_assert_int_eq(count_of(p.out_buf, "master cleanup in master\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "master cleanup in a WORKER"), 0);
    for (int i = 0; i < 8; i++) {
        char w[32];
        snprintf(w, sizeof w, "worker %d cleanup\n", i);
        ck_assert_msg(count_of(p.out_buf, w) == 1, "%s: %d times", w, count_of(p.out_buf, w));
    }
    ck_assert_int_eq(count_of(p.out_buf, term ? "reaped: 8 by SIGTERM, 0 exit 0" :
                                                "reaped: 0 by SIGTERM, 8 exit 0"), 1);
    proc_free(&p);
    unlink(pidfile);
}

START_TEST(prefork_workers_exit_normally) { prefork(false); }
END_TEST

START_TEST(prefork_workers_killed_by_sigterm) { prefork(true); }
END_TEST

static void run_forks_n(const char *mode, const char *n, const char *const *env, struct proc *p)
{
    proc_spawn(p, true, env, prog_path("forks"), mode, n, NULL);
    proc_close_stdin(p);
    proc_finish(p, T);
    ck_assert_msg(exited_with(p, 0), "%s: status: %s\n%s", mode, status_str(p), p->err_buf);
}

static void run_forks(const char *mode, const char *const *env, struct proc *p)
{
    run_forks_n(mode, NULL, env, p);
}

START_TEST(shared_functions_follow_forks)
{
    struct proc p;
    run_forks("shared", NULL, &p);
    ck_assert_int_eq(count_of(p.out_buf, "S1(before) in "), 4);
    ck_assert_int_eq(count_of(p.out_buf, "S1(before) in child1\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "S1(before) in grandchild\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "S2(after) in "), 3);
    ck_assert_int_eq(count_of(p.out_buf, "S2(after) in child1"), 0);
    ck_assert_int_eq(count_of(p.out_buf, "S2(after) in grandchild\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "S2(after) in parent\n"), 1);
    proc_free(&p);
}
END_TEST

/* Before and after the shim starts caching the pid (a page that every
 * fork, however made, sees wiped). */
static const char *const warm_up[] = {NULL, "200"};

START_TEST(raw_forks_do_not_run_private_functions)
{
    struct proc p;
    run_forks_n("raw", warm_up[_i], NULL, &p);
    ck_assert_int_eq(count_of(p.out_buf, "private in "), 1);
    ck_assert_int_eq(count_of(p.out_buf, "private in parent\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "child's own in _Fork child\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "child's own in SYS_fork child\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "child's own in clone child\n"), 1);
    proc_free(&p);
}
END_TEST

START_TEST(inherit_shared_is_stock_glibc)
{
    static const char *const env[] = {"MULTIEXIT_INHERIT=shared", NULL};
    struct proc p, bare;
    run_forks("inherit", env, &p);
    ck_assert_int_eq(count_of(p.out_buf, "private in "), 5);
    proc_spawn(&bare, false, NULL, prog_path("forks"), "inherit", NULL);
    proc_finish(&bare, T);
    ck_assert_int_eq(count_of(bare.out_buf, "private in "), 5);
    proc_free(&p);
    proc_free(&bare);
}
END_TEST

START_TEST(api_lifo_unregister_and_children)
{
    struct proc p;
    run_forks("api", NULL, &p);
    ck_assert_str_eq(p.out_buf, "unregister never=1\nunregister again=0\nunregister unknown=0\n"
                                "child unregister S1=1\nS1(shared) in parent\napi third in parent\n"
                                "plain B in parent\napi first in parent\n");
    proc_free(&p);
}
END_TEST

START_TEST(vfork_child_calling_exit_leaves_the_parent_list)
{
    struct proc p;
    run_forks_n("vfork", warm_up[_i], NULL, &p);
    /* the child ran the shared function only; the parent still has its list */
    ck_assert_str_eq(p.out_buf, "S1(shared) in parent\nparent goes on\nS1(shared) in parent\n"
                                "private in parent\n");
    proc_free(&p);
}
END_TEST

static void wait_gone(pid_t pid)
{
    int fd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0)
        return; /* already gone */
    struct pollfd pf = {fd, POLLIN, 0};
    ck_assert_msg(poll(&pf, 1, (int)(T * 1000)) == 1, "daemon %d did not exit", (int)pid);
    close(fd);
}

START_TEST(daemon_child_takes_over_private_functions)
{
    char file[] = "/tmp/me-daemon-XXXXXX";
    int fd = mkstemp(file);
    close(fd);
    struct proc p;
    char line[64];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("forks"), "daemon", file);
    pid_t d = (pid_t)atoi(line + 4);
    ck_assert_int_gt(d, 0);
    ck_assert_int_ne(d, p.pid);
    proc_finish(&p, T); /* the original parent _exits inside daemon() */
    ck_assert_exited_with(&p, 0);
    kill(d, SIGTERM);
    wait_gone(d);
    FILE *f = fopen(file, "r");
    char buf[256] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    unlink(file);
    ck_assert_str_eq(buf, "f ran in the daemon\n");
    proc_free(&p);
}
END_TEST

static void sigint_group(bool ignore)
{
    static const char *const env_ignore[] = {"MULTIEXIT_CHILD_SIGINT=ignore", NULL};
    struct proc p;
    char line[64];
    proc_spawn(&p, true, ignore ? env_ignore : NULL, prog_path("sigint_group"), NULL);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    pid_t child = (pid_t)atoi(line + 6);
    kill(-p.pid, SIGINT); /* Ctrl+C: the whole process group */
    if (ignore) {
        /* the child ignored it; the parent cleaned up and died */
        wait_gone(p.pid);
        ck_assert_int_eq(kill(child, 0), 0); /* still running */
        kill(child, SIGTERM);
    }
    proc_finish(&p, T);
    ck_assert_died_by(&p, SIGINT);
    ck_assert_int_eq(count_of(p.out_buf, "parent cleanup\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "child cleanup\n"), 1);
    proc_free(&p);
}

static void forkpty_child(bool ignore)
{
    static const char *const env_ignore[] = {"MULTIEXIT_CHILD_SIGINT=ignore", NULL};
    struct proc p;
    proc_spawn(&p, true, ignore ? env_ignore : NULL, prog_path("forks"), "forkpty", NULL);
    proc_close_stdin(&p);
    proc_finish(&p, T);
    ck_assert_exited_with(&p, 0);
    ck_assert_int_eq(count_of(p.out_buf, ignore ? "child SIGINT ignored\r\n"
                                                : "child SIGINT default\r\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "private in"), 1); /* the parent's only */
    proc_free(&p);
}

START_TEST(forkpty_child_is_a_child) { forkpty_child(false); }
END_TEST

START_TEST(forkpty_child_ignores_sigint_on_request) { forkpty_child(true); }
END_TEST

START_TEST(ctrl_c_ends_every_process_by_default) { sigint_group(false); }
END_TEST

START_TEST(child_sigint_ignore_option) { sigint_group(true); }
END_TEST

START_TEST(api_chooses_signals)
{
    for (int round = 0; round < 2; round++) {
        struct proc p;
        char line[64];
        proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("forks"), "setsig");
        proc_kill(&p, round == 0 ? SIGHUP : SIGTERM);
        proc_finish(&p, T);
        if (round == 0) { /* HUP is managed now: cleanup, then death by HUP */
            ck_assert_died_by(&p, SIGHUP);
            ck_assert_str_eq(p.out_buf, "bogus=-1\nprivate in parent\n");
        } else { /* TERM no longer is: killed at once, as without the shim */
            ck_assert_died_by(&p, SIGTERM);
            ck_assert_str_eq(p.out_buf, "bogus=-1\n");
        }
        proc_free(&p);
    }
}
END_TEST

START_TEST(a_million_registrations)
{
    struct proc p;
    proc_spawn(&p, true, NULL, prog_path("many_atexit"), "1000000", NULL);
    proc_finish(&p, 60);
    ck_assert_exited_with(&p, 0);
    ck_assert_str_eq(p.out_buf, "ran all, 0 out of order\n");
    proc_free(&p);
}
END_TEST

/* A process that gets a dead master's pid (forced with ns_last_pid in a pid
 * namespace of its own) is not the master: its private function stays. */
START_TEST(pid_reuse_is_not_ownership)
{
    struct proc p;
    proc_spawn(&p, true, NULL, "/usr/bin/unshare", "--pid", "--fork", ME_UNSHARE_DFL, prog_path("exitcases"),
               "pidreuse", NULL);
    proc_finish(&p, T);
    ck_assert_msg(exited_with(&p, 0), "status: %s\n%s", status_str(&p), p.err_buf);
    ck_assert_int_eq(count_of(p.out_buf, "pid reused\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "master private in master\n"), 1);
    ck_assert_msg(count_of(p.out_buf, "master private in ") == 1, "%s", p.out_buf);
    ck_assert_int_eq(count_of(p.out_buf, "done\n"), 1);
    proc_free(&p);
}
END_TEST

/* Nor is it the master whose exit was under way when it forked: SIGTERM
 * kills it. */
START_TEST(pid_reuse_is_not_the_exit_owner)
{
    struct proc p;
    char line[64];
    proc_spawn(&p, true, NULL, "/usr/bin/unshare", "--pid", "--fork", ME_UNSHARE_DFL, prog_path("exitcases"),
               "pidreuse", "exit", NULL);
    ck_assert_msg(proc_wait_ready(&p, line, sizeof line, T), "not ready: %s", p.err_buf);
    kill((pid_t)atoi(line + 6), SIGTERM);
    proc_finish(&p, T);
    ck_assert_msg(exited_with(&p, 0), "status: %s\n%s", status_str(&p), p.err_buf);
    ck_assert_int_eq(count_of(p.out_buf, "pid reused\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "it died by 15\n"), 1);
    ck_assert_msg(count_of(p.out_buf, "master private in ") == 1 &&
                      count_of(p.out_buf, "master private in master\n") == 1, "%s", p.out_buf);
    proc_free(&p);
}
END_TEST

/* Output a child inherited in its stdio buffer at fork is its parent's: a
 * child ended by a managed signal does not write it (without the shim it
 * dies with the child). What the child wrote itself is the cleanup's to
 * flush; what it flushed itself, it wrote twice without the shim too. */
static void dupout(const char *mode, const char *without, const char *with)
{
    char path[] = "/tmp/me-dupout-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    bool file = strcmp(mode, "file") == 0;
    for (int preload = 0; preload < 2; preload++) {
        struct proc p;
        proc_spawn(&p, preload, NULL, prog_path("dupout"), mode, path, NULL);
        proc_finish(&p, T);
        ck_assert_exited_with(&p, 0);
        char buf[256] = "";
        const char *got = p.out_buf;
        if (file) {
            FILE *f = fopen(path, "r");
            size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
            buf[n] = 0;
            if (f)
                fclose(f);
            got = buf;
        }
        ck_assert_msg(strcmp(got, preload ? with : without) == 0, "%s, %s the shim:\n%s", mode,
                      preload ? "with" : "without", got);
        proc_free(&p);
    }
    unlink(path);
}

START_TEST(inherited_stdio_is_not_written_by_the_child)
{
    dupout("inherit", "parent line\nchild killed by 15\n", "parent line\nchild killed by 15\n");
}
END_TEST

START_TEST(child_own_stdio_is_flushed_not_the_inherited)
{
    dupout("own", "parent line\nchild killed by 15\n",
           "child line\nparent line\nchild killed by 15\n");
    dupout("file", "parent line\nchild killed by 15\n",
           "child line\nparent line\nchild killed by 15\n");
}
END_TEST

START_TEST(child_that_flushed_wrote_the_inherited_itself)
{
    dupout("flushed", "parent line\nparent line\nchild killed by 15\n",
           "parent line\nchild line\nparent line\nchild killed by 15\n");
}
END_TEST

/* A forked child that changes a managed signal's disposition (a shell's
 * subshell setting its traps back) pays page faults for the handler chains
 * it writes, not for all of its parent's: the pools' pages stay shared
 * until written, and the fork hook wrote every entry of every signal (some
 * 150 faults in each such child, most of a subshell's cost). The bound is
 * half the pools' pages, what writing them all would cost at least. */
START_TEST(a_forked_child_writes_only_the_chains_it_changes)
{
    long at_fork[2], after_reset[2];
    for (int with = 0; with < 2; with++) {
        struct proc p;
        proc_spawn(&p, with, NULL, prog_path("forkcost"), NULL);
        proc_finish(&p, T);
        ck_assert_msg(exited_with(&p, 0), "%s", status_str(&p));
        ck_assert_msg(sscanf(p.out_buf, "fork %ld reset %ld", &at_fork[with], &after_reset[with]) == 2,
                      "output: %s", p.out_buf);
        proc_free(&p);
    }
    long bare = after_reset[0] - at_fork[0], shim = after_reset[1] - at_fork[1];
    long pool_pages = (long)(me_chain_memory_size() / (size_t)sysconf(_SC_PAGESIZE));
    ck_assert_msg(shim <= bare + pool_pages / 2,
                  "the child's resets cost %ld page faults with the shim, %ld without (the pools "
                  "are %ld pages)",
                  shim, bare, pool_pages);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("ownership");
    tcase_set_timeout(tc, 120);
    me_add_test(tc, prefork_workers_exit_normally);
    me_add_test(tc, prefork_workers_killed_by_sigterm);
    me_add_test(tc, shared_functions_follow_forks);
    me_add_loop_test(tc, raw_forks_do_not_run_private_functions, 0, 2);
    me_add_test(tc, inherit_shared_is_stock_glibc);
    me_add_test(tc, api_lifo_unregister_and_children);
    me_add_loop_test(tc, vfork_child_calling_exit_leaves_the_parent_list, 0, 2);
    me_add_test(tc, daemon_child_takes_over_private_functions);
    me_add_test(tc, forkpty_child_is_a_child);
    me_add_test(tc, forkpty_child_ignores_sigint_on_request);
    me_add_test(tc, ctrl_c_ends_every_process_by_default);
    me_add_test(tc, child_sigint_ignore_option);
    me_add_test(tc, api_chooses_signals);
    me_add_test(tc, a_million_registrations);
    me_add_test(tc, pid_reuse_is_not_ownership);
    me_add_test(tc, pid_reuse_is_not_the_exit_owner);
    me_add_test(tc, inherited_stdio_is_not_written_by_the_child);
    me_add_test(tc, child_own_stdio_is_flushed_not_the_inherited);
    me_add_test(tc, child_that_flushed_wrote_the_inherited_itself);
    me_add_test(tc, a_forked_child_writes_only_the_chains_it_changes);
    suite_add_tcase(s, tc);
    return run_suite(s, true);
}
