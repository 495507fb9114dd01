/* SPDX-License-Identifier: MIT */
/* What the shim's code costs a process in memory (shim/layout.ld): a
 * program that only starts and exits reads the first code mapping and the
 * data page, nothing else; one that also registers exit functions, forks
 * and ignores SIGPIPE reads the warm code too, and none of the rest; a
 * signal exit reads nothing more (its code is in the first mapping's free
 * space); only handled signals read the rest. Read from /proc/PID/smaps while the program is
 * stopped at its exit (PTRACE_EVENT_EXIT), its memory still mapped. Built
 * only where CMake links with that script. */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

struct code_rss {
    int segments;  /* executable mappings of the shim */
    long first_kb; /* resident KiB of the first one (start-up and exit) */
    long warm_kb;  /* of the second (registration, fork, unmanaged signals) */
    long rest_kb;  /* and of the last one (everything else) */
    int mappings;  /* all mappings of the shim's file */
};

static void read_smaps(pid_t pid, struct code_rss *r)
{
    char shim[PATH_MAX], path[64], line[512];
    ck_assert_ptr_nonnull(realpath(shim_path(), shim));
    snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    bool in_shim = false, in_code = false, anon_between = false;
    unsigned long shim_end = 0, anon_end = 0;
    memset(r, 0, sizeof *r);
    while (fgets(line, sizeof line, f)) {
        char perms[8], name[PATH_MAX] = "";
        unsigned long lo, hi;
        long kb;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &lo, &hi, perms, name) >= 3) {
            in_shim = strcmp(name, shim) == 0;
            in_code = in_shim && perms[2] == 'x';
            r->segments += in_code;
            r->mappings += in_shim;
            /* an anonymous mapping between two of the shim's is its .bss */
            if (in_shim && anon_between && lo == anon_end)
                r->mappings++;
            anon_between = !in_shim && !name[0] && lo == shim_end;
            anon_end = hi;
            if (in_shim)
                shim_end = hi;
        } else if (in_shim && sscanf(line, "Rss: %ld kB", &kb) == 1) {
            if (in_code && r->segments == 1)
                r->first_kb = kb;
            if (in_code && r->segments == 2)
                r->warm_kb = kb;
            if (in_code)
                r->rest_kb = kb; /* mappings are listed by address: the last wins */
        }
    }
    fclose(f);
}

/* Runs argv under the shim and measures it at its exit. */
static void measure(char *const argv[], struct code_rss *r)
{
    pid_t pid = fork();
    if (pid == 0) {
        /* As a program started with no MULTIEXIT_ variable: any one set
         * (a script's own, MULTIEXIT_QUICK) has the shim parse them, in the
         * rest's code, as it should. */
        extern char **environ;
        for (char **e = environ; *e;) {
            if (strncmp(*e, "MULTIEXIT_", 10) == 0) {
                char name[64];
                snprintf(name, sizeof name, "%.*s", (int)strcspn(*e, "="), *e);
                unsetenv(name);
            } else {
                e++;
            }
        }
        setenv("LD_PRELOAD", shim_path(), 1);
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid); /* stopped after exec */
    ck_assert(WIFSTOPPED(st));
    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)PTRACE_O_TRACEEXIT);
    ptrace(PTRACE_CONT, pid, NULL, NULL);
    bool measured = false;
    while (waitpid(pid, &st, 0) == pid && WIFSTOPPED(st)) {
        int sig = 0;
        if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            read_smaps(pid, r);
            measured = true;
        } else {
            sig = WSTOPSIG(st); /* a signal the program is being sent */
        }
        ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
    }
    ck_assert_msg(measured, "%s: no exit stop", argv[0]);
}

START_TEST(true_reads_no_code_beyond_start_and_exit)
{
    char *const argv[] = {"/bin/true", NULL};
    struct code_rss r;
    measure(argv, &r);
    ck_assert_int_eq(r.segments, 3);
    ck_assert_int_gt(r.first_kb, 0);
    ck_assert_int_eq(r.warm_kb, 0);
    ck_assert_int_eq(r.rest_kb, 0);
    /* four mappings (code, data, warm code, the rest): a fifth would be
     * .bss past the data page, or warm and rest left as one. How many
     * kilobytes each holds is the benchmark's business (memory), not this
     * test's: it depends on the page size and the code. */
    ck_assert_int_eq(r.mappings, 4);
}
END_TEST

/* A program that registers exit functions reads the warm code, not the rest. */
static void reads_warm_not_rest(char *const argv[])
{
    struct code_rss r;
    measure(argv, &r);
    ck_assert_int_eq(r.segments, 3);
    ck_assert_int_gt(r.warm_kb, 0);
    ck_assert_int_eq(r.rest_kb, 0);
}

START_TEST(exit_functions_fork_and_sigpipe_stay_out_of_the_rest)
{
    char *const argv[] = {(char *)prog_path("plain"), NULL};
    reads_warm_not_rest(argv);
}
END_TEST

/* libstdc++'s constructor, which runs before the shim's, registers an exit
 * function: that first call must not map the rest with the warm code. */
START_TEST(cxx_static_objects_stay_out_of_the_rest)
{
    char *const argv[] = {(char *)prog_path("cxx_static"), "exit", NULL};
    reads_warm_not_rest(argv);
}
END_TEST

/* A SIGTERM with the default disposition: the exit functions run and the
 * process dies by it, with no code of the rest's: a fault there would map
 * all of it, a dozen microseconds and more of a shutdown (docs/
 * PERFORMANCE.md). The first mapping stays its size: the signal's code
 * fills its last page, it does not add one. */
START_TEST(a_signal_exit_stays_out_of_the_rest)
{
    char *const argv[] = {(char *)prog_path("plain"), "term", NULL};
    struct code_rss r, plain;
    measure(argv, &r);
    ck_assert_int_eq(r.segments, 3);
    ck_assert_int_eq(r.rest_kb, 0);
    char *const quiet[] = {(char *)prog_path("plain"), NULL};
    measure(quiet, &plain);
    ck_assert_int_eq(r.first_kb, plain.first_kb);
}
END_TEST

/* One output line of cmd, scanned with fmt for two numbers. */
static bool scan_tool(const char *cmd, const char *fmt, unsigned long *a, unsigned long *b)
{
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    bool found = false;
    while (!found && fgets(line, sizeof line, f))
        found = sscanf(line, fmt, a, b) == 2;
    pclose(f);
    return found;
}

/* The signal's code fills the first mapping's last page; it must not
 * add one, which every process would have resident (the layout's reason
 * to be). Read from the library: the first segment's size, and where
 * the script put the signal code. */
START_TEST(the_signal_code_adds_no_page_to_the_first_mapping)
{
    char cmd[PATH_MAX + 160];
    unsigned long off, filesz, lo = 0, hi = 0;
    snprintf(cmd, sizeof cmd, "readelf -lW '%s'", shim_path());
    ck_assert_msg(scan_tool(cmd, " LOAD 0x%lx 0x%*x 0x%*x 0x%lx", &off, &filesz), "%s", cmd);
    ck_assert_int_eq(off, 0);
    snprintf(cmd, sizeof cmd,
             "nm '%s' | awk '$3 == \"me_signal_code\" { a = $1 } "
             "$3 == \"me_signal_code_end\" { b = $1 } END { print a, b }'",
             shim_path());
    ck_assert_msg(scan_tool(cmd, "%lx %lx", &lo, &hi), "%s", cmd);
    ck_assert_msg(lo > 0 && hi > lo && hi <= filesz, "signal code at %#lx-%#lx, segment %#lx", lo,
                  hi, filesz);
    long page = sysconf(_SC_PAGESIZE);
    unsigned long pages = (filesz + page - 1) / page;
    unsigned long without = (filesz - (hi - lo) + page - 1) / page;
    ck_assert_msg(pages == without,
                  "the first mapping is %lu pages, %lu without the signal code (%lu bytes): move "
                  "code out of ME_START or ME_SIGNAL (shim/placement.h)",
                  pages, without, hi - lo);
}
END_TEST

/* The control: a signal the program handles runs its chain from the
 * rest, and the measurement sees it. */
START_TEST(a_handled_signal_reads_the_rest)
{
    char *const argv[] = {(char *)prog_path("plain"), "raise", NULL};
    struct code_rss r;
    measure(argv, &r);
    ck_assert_int_eq(r.segments, 3);
    ck_assert_int_gt(r.rest_kb, 0);
}
END_TEST

/* A forked child's lazy binding looks every name up in the shim too, and
 * reads its hash table: kept in the data page, whose page table entries
 * fork copies, not in the code, which the child would fault in again. */
START_TEST(a_lookup_in_a_forked_child_reads_no_code)
{
    struct proc p;
    proc_spawn(&p, true, NULL, prog_path("lazychild"), NULL);
    proc_finish(&p, 30);
    ck_assert_msg(exited_with(&p, 0), "%s", status_str(&p));
    long parent = -1, child = -1;
    ck_assert_int_eq(sscanf(p.out_buf, "parent %ld child %ld", &parent, &child), 2);
    ck_assert_int_gt(parent, 0); /* the measure sees the shim's code */
    ck_assert_int_eq(child, 0);
    proc_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("footprint");
    TCase *tc = tcase_create("code pages");
    tcase_set_timeout(tc, 60);
    me_add_test(tc, true_reads_no_code_beyond_start_and_exit);
    me_add_test(tc, exit_functions_fork_and_sigpipe_stay_out_of_the_rest);
    me_add_test(tc, cxx_static_objects_stay_out_of_the_rest);
    me_add_test(tc, a_signal_exit_stays_out_of_the_rest);
    me_add_test(tc, the_signal_code_adds_no_page_to_the_first_mapping);
    me_add_test(tc, a_handled_signal_reads_the_rest);
    me_add_test(tc, a_lookup_in_a_forked_child_reads_no_code);
    suite_add_tcase(s, tc);
    return run_suite(s, true);
}
