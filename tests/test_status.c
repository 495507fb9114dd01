/* SPDX-License-Identifier: MIT */
/* multiexit status PID...: against live processes, each started here and
 * held at a known point by the ready pipe (fd 3), all stopped at the end:
 * plain (not preloaded), wrapped, preloaded directly, privileged (AT_SECURE
 * from a setuid-root program run by a non-root user), another user's
 * (unreadable), and processes that exec'd since, both ways. The programs
 * wait for the end of their stdin (a pipe from this test): a failed test
 * leaves none of them running (but the privileged one, which pauses). */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

#define T 20.0

static const char *wrapper(void) { return ME_WRAPPER_PATH; }

/* The wrapper with argv (after its own name), stdin closed, to the end;
 * as another user when as_uid is not NULL ("65534"). */
static void status_of(struct proc *p, const char *as_uid, char *const args[])
{
    char *argv[32];
    int n = 0;
    char reuid[32], regid[32];
    if (as_uid) {
        snprintf(reuid, sizeof reuid, "--reuid=%s", as_uid);
        snprintf(regid, sizeof regid, "--regid=%s", as_uid);
        argv[n++] = "/usr/bin/setpriv";
        argv[n++] = reuid;
        argv[n++] = regid;
        argv[n++] = "--clear-groups";
    }
    argv[n++] = (char *)wrapper();
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    proc_spawnv(p, false, NULL, argv);
    proc_close_stdin(p);
    proc_finish(p, T);
}

#define STATUS(p, ...)                                                                         \
    do {                                                                                       \
        char *const args_[] = {__VA_ARGS__, NULL};                                             \
        status_of(p, NULL, args_);                                                             \
    } while (0)

static char *pid_str(const struct proc *p)
{
    static char bufs[8][16];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 16, "%d", (int)p->pid);
    return b;
}

static const char *real(const char *path)
{
    static char bufs[4][PATH_MAX];
    static int next;
    char *b = bufs[next++ % 4];
    ck_assert_ptr_nonnull(realpath(path, b));
    return b;
}

static void stop(struct proc *p)
{
    proc_kill(p, SIGKILL);
    proc_finish(p, T);
    proc_free(p);
}

/* The lines of a covered process with the defaults */
static void want_covered(char *want, size_t n, const struct proc *p, const char *exe)
{
    snprintf(want, n,
             "%d (%s): covered\n"
             "  library: %s, version 0.1.0\n"
             "  settings: signals SIGINT,SIGTERM, timeout 30 s, inherit private, chain on\n"
             "  managed signals caught (they reach the dispatcher): SIGINT,SIGTERM\n",
             (int)p->pid, exe, real(shim_path()));
}

START_TEST(status_of_live_processes)
{
    struct proc plain, wrapped, preloaded, ignoring, secure, s;
    char line[128], want[16384];
    char exitfns[1024];
    snprintf(exitfns, sizeof exitfns, "%s", real(prog_path("exitfns")));

    /* plain: not preloaded */
    proc_start_ready(&plain, false, NULL, T, line, sizeof line, prog_path("exitfns"), "stdin");
    STATUS(&s, "status", pid_str(&plain));
    ck_assert_msg(exited_with(&s, 1), "%s: %s", status_str(&s), s.err_buf);
    snprintf(want, sizeof want, "%d (%s): not covered: libmultiexit is not loaded\n",
             (int)plain.pid, exitfns);
    ck_assert_str_eq(s.out_buf, want);
    ck_assert_str_eq(s.err_buf, "");
    proc_free(&s);

    /* wrapped, with settings from its environment, one value bad */
    static const char *const env[] = {"MULTIEXIT_SIGNALS=bogus,hup,term", "MULTIEXIT_TIMEOUT=2.5",
                                      "MULTIEXIT_INHERIT=shared", "MULTIEXIT_CHAIN=off", NULL};
    char *const wargv[] = {(char *)wrapper(), "--", (char *)prog_path("exitfns"), "stdin", NULL};
    proc_spawnv(&wrapped, false, env, wargv);
    ck_assert(proc_wait_ready(&wrapped, line, sizeof line, T));
    STATUS(&s, "status", pid_str(&wrapped));
    ck_assert_msg(exited_with(&s, 0), "%s: %s", status_str(&s), s.out_buf);
    snprintf(want, sizeof want,
             "%d (%s): covered\n"
             "  library: %s, version 0.1.0\n"
             "  settings: signals SIGHUP,SIGTERM, timeout 2.5 s, inherit shared, chain off\n"
             "  bad value: multiexit: MULTIEXIT_SIGNALS: ignoring 'bogus': unknown signal\n"
             "  managed signals caught (they reach the dispatcher): SIGHUP,SIGTERM\n",
             (int)wrapped.pid, exitfns, real(shim_path()));
    ck_assert_str_eq(s.out_buf, want);
    proc_free(&s);

    /* LD_PRELOAD'ed directly: the defaults */
    proc_start_ready(&preloaded, true, NULL, T, line, sizeof line, prog_path("exitfns"), "stdin");
    STATUS(&s, "status", pid_str(&preloaded));
    ck_assert_msg(exited_with(&s, 0), "%s", status_str(&s));
    want_covered(want, sizeof want, &preloaded, exitfns);
    ck_assert_str_eq(s.out_buf, want);
    proc_free(&s);

    /* a program that ignores SIGTERM: still covered, the ignoring said */
    proc_start_ready(&ignoring, true, NULL, T, line, sizeof line, prog_path("exitfns"), "ignore");
    STATUS(&s, "status", pid_str(&ignoring));
    ck_assert_msg(exited_with(&s, 0), "%s", status_str(&s));
    ck_assert_int_eq(count_of(s.out_buf, "\n  ignored by the program: SIGTERM\n"), 1);
    ck_assert_int_eq(count_of(s.out_buf, "caught (they reach the dispatcher): SIGINT\n"), 1);
    proc_free(&s);

    /* a managed signal the kernel no longer delivers to the dispatcher (set
     * to SIG_DFL by the raw system call): not covered, and which is said */
    struct proc raw;
    proc_start_ready(&raw, true, NULL, T, line, sizeof line, prog_path("exitfns"), "raw-default");
    STATUS(&s, "status", pid_str(&raw));
    ck_assert_msg(exited_with(&s, 1), "%s", status_str(&s));
    snprintf(want, sizeof want,
             "%d (%s): not covered: SIGTERM managed but not caught (it kills without cleanup)\n"
             "  library: %s, version 0.1.0\n"
             "  settings: signals SIGINT,SIGTERM, timeout 30 s, inherit private, chain on\n"
             "  managed signals caught (they reach the dispatcher): SIGINT\n"
             "  not caught (they kill without cleanup): SIGTERM\n",
             (int)raw.pid, exitfns, real(shim_path()));
    ck_assert_str_eq(s.out_buf, want);
    proc_free(&s);
    stop(&raw);

    /* two copies of the library (a second file): both named, one works */
    char libdir[] = "/tmp/me-status-lib-XXXXXX", libcopy[256], cmd2[1024], pre[1024];
    ck_assert_ptr_nonnull(mkdtemp(libdir));
    snprintf(libcopy, sizeof libcopy, "%s/libmultiexit.so.0.1.0", libdir);
    snprintf(cmd2, sizeof cmd2, "cp %s %s", real(shim_path()), libcopy);
    ck_assert_int_eq(system(cmd2), 0);
    snprintf(pre, sizeof pre, "LD_PRELOAD=%s:%s", shim_path(), libcopy);
    const char *const two_env[] = {pre, NULL};
    struct proc two;
    proc_start_ready(&two, false, two_env, T, line, sizeof line, prog_path("exitfns"), "stdin");
    STATUS(&s, "status", pid_str(&two));
    ck_assert_msg(exited_with(&s, 0), "%s: %s", status_str(&s), s.out_buf);
    snprintf(want, sizeof want, "\n  library: %s, version 0.1.0\n", libcopy);
    ck_assert_int_eq(count_of(s.out_buf, want), 1);
    snprintf(want, sizeof want, "\n  library: %s, version 0.1.0\n", real(shim_path()));
    ck_assert_int_eq(count_of(s.out_buf, want), 1);
    ck_assert_int_eq(count_of(s.out_buf, "\n  2 copies loaded: the one loaded first does the "
                                         "work, the others pass every call through\n"), 1);
    proc_free(&s);
    stop(&two);
    snprintf(cmd2, sizeof cmd2, "rm -rf %s", libdir);
    ck_assert_int_eq(system(cmd2), 0);

    /* privileged: a setuid-root copy of a program linked with the library,
     * run by a non-root user (AT_SECURE): loaded, left alone */
    char dir[] = "/tmp/me-status-XXXXXX", copy[256], cmd[1024];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    chmod(dir, 0755);
    snprintf(copy, sizeof copy, "%s/secure_prog", dir);
    snprintf(cmd, sizeof cmd, "cp %s %s && chown 0 %s && chmod 4755 %s", prog_path("secure_prog"),
             copy, copy, copy);
    ck_assert_int_eq(system(cmd), 0);
    char *const sargv[] = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534",
                           "--clear-groups", copy, NULL};
    proc_spawnv(&secure, false, NULL, sargv);
    ck_assert(proc_wait_ready(&secure, line, sizeof line, T));
    ck_assert_str_eq(line, "secure=1 set_signals=-1/EPERM term=default");
    STATUS(&s, "status", pid_str(&secure));
    ck_assert_msg(exited_with(&s, 2), "%s: %s", status_str(&s), s.out_buf);
    snprintf(want, sizeof want,
             "%d (%s): left alone: privileged (AT_SECURE): the library is loaded but does "
             "nothing\n  library: %s, version 0.1.0\n",
             (int)secure.pid, copy, real(shim_path()));
    ck_assert_str_eq(s.out_buf, want);
    proc_free(&s);

    /* several: the worst (not covered, then left alone, then covered) */
    STATUS(&s, "status", pid_str(&wrapped), pid_str(&preloaded));
    ck_assert_msg(exited_with(&s, 0), "%s", status_str(&s));
    proc_free(&s);
    STATUS(&s, "status", pid_str(&secure), pid_str(&preloaded));
    ck_assert_msg(exited_with(&s, 2), "%s", status_str(&s));
    proc_free(&s);
    STATUS(&s, "status", pid_str(&preloaded), pid_str(&plain), pid_str(&secure));
    ck_assert_msg(exited_with(&s, 1), "%s", status_str(&s));
    ck_assert_int_eq(count_of(s.out_buf, ": covered\n"), 1);
    ck_assert_int_eq(count_of(s.out_buf, ": not covered: "), 1);
    ck_assert_int_eq(count_of(s.out_buf, ": left alone: "), 1);
    proc_free(&s);
    /* --status is the same */
    STATUS(&s, "--status", pid_str(&preloaded));
    ck_assert_msg(exited_with(&s, 0), "%s", status_str(&s));
    want_covered(want, sizeof want, &preloaded, exitfns);
    ck_assert_str_eq(s.out_buf, want);
    proc_free(&s);

    /* --json, for scripts: one array, an object per process */
    STATUS(&s, "status", "--json", pid_str(&wrapped), pid_str(&plain));
    ck_assert_msg(exited_with(&s, 1), "%s", status_str(&s));
    snprintf(want, sizeof want,
             "[{\"pid\":%d,\"status\":0,\"state\":\"covered\",\"reason\":null,\"exe\":\"%s\","
             "\"libraries\":[{\"path\":\"%s\",\"version\":\"0.1.0\",\"deleted\":false}],"
             "\"at_secure\":false,\"settings\":{\"signals\":[\"SIGHUP\",\"SIGTERM\"],"
             "\"timeout_ms\":2500,\"inherit\":\"shared\",\"chain\":false,\"bad_values\":["
             "\"multiexit: MULTIEXIT_SIGNALS: ignoring 'bogus': unknown signal\"]},"
             "\"caught\":[\"SIGHUP\",\"SIGTERM\"],\"ignored\":[],\"not_caught\":[]},\n"
             "{\"pid\":%d,\"status\":1,\"state\":\"not covered\",\"reason\":\"libmultiexit is "
             "not loaded\",\"exe\":\"%s\",\"libraries\":[],\"at_secure\":null,\"settings\":null,"
             "\"caught\":null,\"ignored\":null,\"not_caught\":null}]\n",
             (int)wrapped.pid, exitfns, real(shim_path()), (int)plain.pid, exitfns);
    ck_assert_str_eq(s.out_buf, want);
    proc_free(&s);

    /* another user's process: said so, not guessed; a process that does
     * not exist */
    char *const nobody[] = {"status", pid_str(&preloaded), "2147483647", NULL};
    status_of(&s, "65534", nobody);
    ck_assert_msg(exited_with(&s, 1), "%s", status_str(&s));
    snprintf(want, sizeof want,
             "%d (exitfns): cannot tell: cannot read /proc/%d/maps: Permission denied "
             "(another user's process: ask as that user or as root)\n"
             "2147483647 (?): cannot tell: cannot read /proc/2147483647/maps: No such file or "
             "directory (no such process)\n",
             (int)preloaded.pid, (int)preloaded.pid);
    ck_assert_str_eq(s.out_buf, want);
    proc_free(&s);

    /* usage errors */
    STATUS(&s, "status");
    ck_assert_msg(exited_with(&s, 125), "%s", status_str(&s));
    ck_assert_str_eq(s.err_buf, "multiexit: status: no process id given (see multiexit --help)\n");
    proc_free(&s);
    STATUS(&s, "status", "12x");
    ck_assert_msg(exited_with(&s, 125), "%s", status_str(&s));
    ck_assert_str_eq(s.err_buf,
                     "multiexit: status: '12x' is not a process id (see multiexit --help)\n");
    proc_free(&s);

    stop(&plain);
    stop(&wrapped);
    stop(&preloaded);
    stop(&ignoring);
    stop(&secure);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A process that exec'd since it started: preloaded, then exec'd with
 * LD_PRELOAD removed (not covered any more), and the reverse. The same pid
 * throughout: the shell execs the program. */
START_TEST(status_follows_an_exec)
{
    char script[4096], line[128], want[16384];
    struct proc p, s;
    char sh[1024], exitfns[1024];
    snprintf(sh, sizeof sh, "%s", real("/bin/sh"));
    snprintf(exitfns, sizeof exitfns, "%s", real(prog_path("exitfns")));
    for (int covered_first = 1; covered_first >= 0; covered_first--) {
        if (covered_first)
            snprintf(script, sizeof script,
                     "echo sh >&3; read go; exec env -u LD_PRELOAD %s stdin", exitfns);
        else
            snprintf(script, sizeof script, "echo sh >&3; read go; exec env LD_PRELOAD=%s %s stdin",
                     shim_path(), exitfns);
        proc_start_ready(&p, covered_first, NULL, T, line, sizeof line, "/bin/sh", "-c", script);
        ck_assert_str_eq(line, "sh");
        STATUS(&s, "status", pid_str(&p));
        ck_assert_msg(exited_with(&s, covered_first ? 0 : 1), "%s: %s", status_str(&s),
                      s.out_buf);
        if (covered_first)
            want_covered(want, sizeof want, &p, sh);
        else
            snprintf(want, sizeof want, "%d (%s): not covered: libmultiexit is not loaded\n",
                     (int)p.pid, sh);
        ck_assert_str_eq(s.out_buf, want);
        proc_free(&s);

        proc_send(&p, "go\n");
        ck_assert(proc_wait_ready(&p, line, sizeof line, T));
        ck_assert_str_eq(line, "ready");
        STATUS(&s, "status", pid_str(&p));
        ck_assert_msg(exited_with(&s, covered_first ? 1 : 0), "%s: %s", status_str(&s),
                      s.out_buf);
        if (covered_first)
            snprintf(want, sizeof want, "%d (%s): not covered: libmultiexit is not loaded\n",
                     (int)p.pid, exitfns);
        else
            want_covered(want, sizeof want, &p, exitfns);
        ck_assert_str_eq(s.out_buf, want);
        proc_free(&s);
        stop(&p);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("status");
    TCase *tc = tcase_create("multiexit status");
    tcase_set_timeout(tc, 120);
    me_add_test(tc, status_of_live_processes);
    me_add_test(tc, status_follows_an_exec);
    suite_add_tcase(s, tc);
    return run_suite(s, true);
}
