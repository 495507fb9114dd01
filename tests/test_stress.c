/* SPDX-License-Identifier: MIT */
/* Stress: data loss, deadlock, signal storms with forks, fork storms.
 * Bounded in count and time; every wait has a deadline. */
#include <check.h>
#include <stdbool.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define T 20.0

/* Lines 1..K, each complete: returns K, or -1 if a line is missing or cut. */
static long check_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[64];
    long k = 0;
    while (fgets(buf, sizeof buf, f)) {
        char want[64];
        snprintf(want, sizeof want, "line %ld\n", k + 1);
        if (strcmp(buf, want) != 0) {
            fclose(f);
            return -1;
        }
        k++;
    }
    fclose(f);
    return k;
}

/* One run of progs/lines writing to path, SIGTERM at a random moment.
 * Returns the number of complete lines 1..K in the file, or -1 when a line
 * is missing or cut; *ok tells whether it died by SIGTERM without hanging. */
static long lines_trial(bool preload, const char *path, unsigned *seed, bool *ok)
{
    struct proc p;
    char line[32];
    proc_spawn(&p, preload, NULL, prog_path("lines"), path, NULL);
    ck_assert(proc_wait_ready(&p, line, sizeof line, T));
    random_delay(seed, 3000);
    proc_kill(&p, SIGTERM);
    proc_finish(&p, T);
    *ok = !p.hung && died_by(&p, SIGTERM);
    proc_free(&p);
    return check_lines(path);
}

START_TEST(no_data_loss_500_trials)
{
    unsigned seed = 777;
    char path[] = "/tmp/me-lines-XXXXXX";
    int fd = mkstemp(path);
    close(fd);
    int bad = 0, trials = me_trials(500), bare_trials = me_trials(20);
    bool ok;
    for (int trial = 0; trial < trials; trial++)
        if (lines_trial(true, path, &seed, &ok) < 0 || !ok)
            bad++;
    /* for contrast: without the shim the last buffer is lost (a cut line, or
     * nothing written at all) */
    int lossy = 0;
    for (int trial = 0; trial < bare_trials; trial++)
        lossy += lines_trial(false, path, &seed, &ok) <= 0;
    fprintf(stderr, "data loss: with the shim %d/%d trials lost or cut a line; "
                    "without it %d/%d did\n", bad, trials, lossy, bare_trials);
    unlink(path);
    ck_assert_int_eq(bad, 0);
}
END_TEST

START_TEST(no_deadlock_500_trials)
{
    int hangs, wrong, slow;
    double worst;
    int trials = me_trials(500);
    busy_trials(trials, 4242, &hangs, &wrong, &slow, &worst);
    fprintf(stderr, "deadlock: %d trials, worst %.3f s\n", trials, worst);
    ck_assert_msg(hangs == 0 && wrong == 0 && slow == 0, "%d hangs, %d wrong, %d over %.1f s",
                  hangs, wrong, slow, me_bound(1.0));
}
END_TEST

START_TEST(signal_storm_while_installing_and_forking)
{
    static const char *const env[] = {"MULTIEXIT_SIGNALS=TERM,INT,RTMIN+1", NULL};
    const int n = me_trials(100000);
    struct proc p;
    char line[32];
    proc_start_ready(&p, true, env, T, line, sizeof line, prog_path("chain"), "storm-fork");
    union sigval v = {.sival_int = 7};
    for (int i = 0; i < n; i++)
        while (sigqueue(p.pid, SIGRTMIN + 1, v) != 0) {
            ck_assert_int_eq(errno, EAGAIN);
            sched_yield();
        }
    proc_close_stdin(&p);
    proc_finish(&p, 60);
    ck_assert_exited_with(&p, 0);
    char want[64];
    snprintf(want, sizeof want, "count=%d\n", n);
    ck_assert_int_eq(count_of(p.out_buf, want), 1);
    ck_assert_int_eq(count_of(p.out_buf, "exitfn\n"), 1); /* the parent's, once */
    ck_assert(count_of(p.out_buf, "forked=") == 1 && count_of(p.out_buf, "forked=0\n") == 0);
    proc_free(&p);
}
END_TEST

/* Handlers that siglongjmp out of a sigaction they interrupted must not
 * leave the shim's state stuck (a hang at the next sigaction). */
START_TEST(longjmp_out_of_interrupted_sigaction)
{
    struct proc p;
    char line[32];
    proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("longjmp_loop"));
    int sent = 0, jumps = me_trials(20000);
    for (; sent < jumps; sent++) {
        kill(p.pid, SIGINT);
        char j;
        struct pollfd pf = {p.ready, POLLIN, 0};
        /* a stuck sigaction (leaked state) shows up as no answer */
        int n = poll(&pf, 1, 10000);
        ck_assert_msg(n == 1 && read(p.ready, &j, 1) == 1, "no jump after SIGINT %d (%s)",
                      sent + 1, n == 0 ? "no answer in 10 s" : "the program is gone");
    }
    proc_close_stdin(&p);
    proc_finish(&p, 30);
    ck_assert_msg(exited_with(&p, 0), "%s after %d SIGINTs", status_str(&p), sent);
    char want[32];
    snprintf(want, sizeof want, "jumps=%d\n", jumps);
    ck_assert_int_eq(count_of(p.out_buf, want), 1);
    proc_free(&p);
}
END_TEST

START_TEST(fork_storm_sigterm_to_the_group)
{
    struct proc p;
    char line[32];
    proc_spawn(&p, true, NULL, prog_path("forkstorm"), NULL);
    ck_assert(proc_wait_ready(&p, line, sizeof line, 60));
    kill(-p.pid, SIGTERM);
    proc_finish(&p, 60);
    ck_assert_died_by(&p, SIGTERM);
    ck_assert_int_eq(count_of(p.out_buf, "shared in "), 201);
    ck_assert_int_eq(count_of(p.out_buf, "parent private in -1\n"), 1);
    ck_assert_int_eq(count_of(p.out_buf, "parent private in "), 1);
    ck_assert_int_eq(count_of(p.out_buf, "child private in "), 200);
    for (int i = 0; i < 200; i++) {
        char w[48];
        snprintf(w, sizeof w, "child private in %d\n", i);
        ck_assert_msg(count_of(p.out_buf, w) == 1, "%s", w);
    }
    proc_free(&p);
}
END_TEST

/* vfork + _exit, posix_spawn and fork in a tight loop, SIGTERM to the
 * process group at a random moment: every trial ends by SIGTERM within
 * 1 s, with the exit function's line exactly once. */
START_TEST(group_sigterm_during_vfork_spawn_fork_300_trials)
{
    unsigned seed = 2024;
    int hangs = 0, wrong = 0, slow = 0;
    double worst = 0;
    int trials = me_trials(300);
    for (int trial = 0; trial < trials; trial++) {
        struct proc p;
        char line[32], want[48];
        proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("spawnloop"));
        random_delay(&seed, 20000);
        double t0 = now_s();
        kill(-p.pid, SIGTERM);
        proc_finish(&p, 10.0);
        double took = now_s() - t0;
        worst = took > worst ? took : worst;
        snprintf(want, sizeof want, "atexit in %d\n", (int)p.pid);
        if (p.hung)
            hangs++;
        else if (!died_by(&p, SIGTERM) || strcmp(p.out_buf, want) != 0)
            wrong++, fprintf(stderr, "trial %d: %s, output '%s'\n", trial, status_str(&p), p.out_buf);
        else if (took > me_bound(1.0))
            slow++;
        proc_free(&p);
    }
    fprintf(stderr, "vfork/spawn/fork: %d trials, worst %.3f s\n", trials, worst);
    ck_assert_msg(hangs == 0 && wrong == 0 && slow == 0, "%d hangs, %d wrong, %d over %.1f s",
                  hangs, wrong, slow, me_bound(1.0));
}
END_TEST

/* Lines "line N" from 1 on, each once and whole; only the last may be cut. */
static bool clean_prefix(const char *out)
{
    unsigned long k = 1;
    for (const char *s = out; *s; k++) {
        char want[32];
        int len = snprintf(want, sizeof want, "line %lu\n", k);
        const char *nl = strchr(s, '\n');
        if (!nl)
            return strncmp(s, want, strlen(s)) == 0;
        if ((size_t)(nl + 1 - s) != (size_t)len || strncmp(s, want, (size_t)len) != 0)
            return false;
        s = nl + 1;
    }
    return true;
}

/* A thread writing numbered lines to buffered stdout, SIGTERM: the final
 * flush takes the stream's lock, so every output is a clean prefix. */
START_TEST(threaded_writer_200_trials)
{
    unsigned seed = 99;
    int bad = 0, hangs = 0, trials = me_trials(200);
    for (int trial = 0; trial < trials; trial++) {
        struct proc p;
        char line[32];
        proc_start_ready(&p, true, NULL, T, line, sizeof line, prog_path("mtwriter"));
        random_delay(&seed, 3000);
        proc_kill(&p, SIGTERM);
        proc_finish(&p, 10.0);
        hangs += p.hung;
        bad += !p.hung && (!died_by(&p, SIGTERM) || !clean_prefix(p.out_buf));
        proc_free(&p);
    }
    ck_assert_msg(bad == 0 && hangs == 0, "%d trials: %d not a clean prefix or wrong status, "
                  "%d hangs", trials, bad, hangs);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("stress");
    TCase *tc = tcase_create("stress");
    tcase_set_timeout(tc, 600);
    me_add_test(tc, no_data_loss_500_trials);
    me_add_test(tc, no_deadlock_500_trials);
    me_add_test(tc, signal_storm_while_installing_and_forking);
    me_add_test(tc, longjmp_out_of_interrupted_sigaction);
    me_add_test(tc, fork_storm_sigterm_to_the_group);
    me_add_test(tc, group_sigterm_during_vfork_spawn_fork_300_trials);
    me_add_test(tc, threaded_writer_200_trials);
    suite_add_tcase(s, tc);
    return run_suite(s, true);
}
