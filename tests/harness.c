/* SPDX-License-Identifier: MIT */
#include "harness.h"

#include <check.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

const char *prog_path(const char *name)
{
    static char buf[8][1024];
    static int i;
    char *b = buf[i++ % 8];
    snprintf(b, 1024, "%s/%s", ME_TEST_BIN_DIR, name);
    return b;
}

const char *shim_path(void) { return ME_SHIM_PATH; }

#ifdef ME_TEST_EMULATOR
static const char *const emulator[] = {ME_TEST_EMULATOR};
#define EMULATOR_ARGS (sizeof emulator / sizeof emulator[0])
#else
#define EMULATOR_ARGS 0
#endif
#ifndef ME_TEST_TRIAL_DIVISOR
#define ME_TEST_TRIAL_DIVISOR 1
#endif
#ifndef ME_TEST_TIME_SCALE
#define ME_TEST_TIME_SCALE 1.0
#endif

bool me_emulated(void) { return EMULATOR_ARGS > 0; }

int me_trials(int n)
{
    if (!me_emulated())
        return n;
    int t = n / ME_TEST_TRIAL_DIVISOR;
    return t > 0 ? t : 1;
}

double me_bound(double seconds) { return me_emulated() ? seconds * ME_TEST_TIME_SCALE : seconds; }

/* tests/emulator_skips.txt (ME_TEST_SKIP_LIST): "suite test reason" lines,
 * '#' comments. The suite is the test program's name. Each entry must name
 * a test its suite adds (run_suite checks), so that the list cannot go
 * stale. */
#define MAX_SKIPS 64
static struct {
    char test[128];
    bool seen;
} skips[MAX_SKIPS];
static int n_skips = -1;

static void load_skips(void)
{
    if (n_skips >= 0)
        return;
    n_skips = 0;
#ifdef ME_TEST_SKIP_LIST
    if (!me_emulated())
        return;
    FILE *f = fopen(ME_TEST_SKIP_LIST, "r");
    if (!f) {
        fprintf(stderr, "%s: %s\n", ME_TEST_SKIP_LIST, strerror(errno));
        abort();
    }
    char line[1024], suite[128], test[128];
    while (fgets(line, sizeof line, f))
        if (line[0] != '#' && sscanf(line, "%127s %127s", suite, test) == 2 &&
            strcmp(suite, program_invocation_short_name) == 0 && n_skips < MAX_SKIPS)
            snprintf(skips[n_skips++].test, sizeof skips[0].test, "%s", test);
    fclose(f);
#endif
}

bool me_emulator_skips(const char *test)
{
    load_skips();
    for (int i = 0; i < n_skips; i++)
        if (strcmp(skips[i].test, test) == 0) {
            skips[i].seen = true;
            return true;
        }
    return false;
}

#ifdef ME_TEST_EMULATOR
#include "own_machine.h"
#endif

static void must_pipe(int fds[2])
{
    if (pipe2(fds, O_CLOEXEC) != 0) {
        perror("pipe2");
        abort();
    }
}

void proc_spawnv(struct proc *p, bool preload, const char *const *env, char *const argv[])
{
    int in[2], out[2], err[2], rd[2];
    memset(p, 0, sizeof *p);
    signal(SIGPIPE, SIG_IGN); /* a program may exit before reading its stdin */
    must_pipe(in);
    must_pipe(out);
    must_pipe(err);
    must_pipe(rd);
    p->start = now_s();
    p->pid = fork();
    if (p->pid < 0) {
        perror("fork");
        abort();
    }
    if (p->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        dup2(rd[1], 3);
        /* a test runner may have blocked or ignored signals: start clean */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < 32; s++)
            if (s != SIGKILL && s != SIGSTOP)
                signal(s, SIG_DFL);
        unsetenv("LD_PRELOAD");
        /* no core files from tests that kill with SIGQUIT/SIGABRT */
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        /* ME_TEST_PRELOAD_FIRST: a sanitizer runtime that must come first
         * when the shim is built with it (sanitizer CI job) */
        const char *first = getenv("ME_TEST_PRELOAD_FIRST");
        if (preload || (first && *first)) {
            const char *old = getenv("LD_PRELOAD");
            char buf[4096];
            snprintf(buf, sizeof buf, "%s%s%s%s%s", first && *first ? first : "",
                     first && *first && preload ? ":" : "", preload ? shim_path() : "",
                     old && *old ? ":" : "", old && *old ? old : "");
            setenv("LD_PRELOAD", buf, 1);
        }
#ifdef ME_TEST_EMULATOR
        /* A program of the target: emulator [-E LD_PRELOAD=...] program args.
         * The preload is the guest's; the emulator itself, a host program,
         * must not get it (its loader would refuse the foreign library, on
         * stderr). */
        if (own_machine(argv[0])) {
            char *eargv[EMULATOR_ARGS + 3 + 64];
            size_t n = 0;
            for (size_t i = 0; i < EMULATOR_ARGS; i++)
                eargv[n++] = (char *)emulator[i];
            const char *pre = getenv("LD_PRELOAD");
            char pre_arg[4200];
            if (pre) {
                snprintf(pre_arg, sizeof pre_arg, "LD_PRELOAD=%s", pre);
                eargv[n++] = "-E";
                eargv[n++] = pre_arg;
                unsetenv("LD_PRELOAD");
            }
            for (size_t i = 0; argv[i] && n < sizeof eargv / sizeof eargv[0] - 1; i++)
                eargv[n++] = argv[i];
            eargv[n] = NULL;
            execvp(eargv[0], eargv);
            fprintf(stderr, "exec %s: %s\n", eargv[0], strerror(errno));
            _exit(127);
        }
#endif
        execv(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    close(rd[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    p->ready = rd[0];
}

void proc_spawn(struct proc *p, bool preload, const char *const *env, const char *prog, ...)
{
    char *argv[32];
    int n = 0;
    va_list ap;
    argv[n++] = (char *)prog;
    va_start(ap, prog);
    const char *a;
    while ((a = va_arg(ap, const char *)) != NULL && n < 31)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    proc_spawnv(p, preload, env, argv);
}

bool proc_wait_ready(struct proc *p, char *buf, size_t n, double timeout)
{
    size_t len = 0;
    double end = now_s() + timeout;
    while (len + 1 < n) {
        struct pollfd pf = {p->ready, POLLIN, 0};
        int ms = (int)((end - now_s()) * 1000);
        if (ms <= 0 || poll(&pf, 1, ms) <= 0)
            break;
        char c;
        ssize_t r = read(p->ready, &c, 1);
        if (r <= 0)
            break;
        if (c == '\n') {
            buf[len] = '\0';
            return true;
        }
        buf[len++] = c;
    }
    buf[len] = '\0';
    return false;
}

void proc_send(struct proc *p, const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t w = write(p->in, text, len);
        if (w <= 0)
            return;
        text += w;
        len -= (size_t)w;
    }
}

void proc_close_stdin(struct proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

void proc_kill(struct proc *p, int sig) { kill(p->pid, sig); }

static void drain(int fd, char **buf, size_t *len, bool *open)
{
    char tmp[65536];
    ssize_t r = read(fd, tmp, sizeof tmp);
    if (r <= 0) {
        *open = false;
        return;
    }
    *buf = realloc(*buf, *len + (size_t)r + 1);
    memcpy(*buf + *len, tmp, (size_t)r);
    *len += (size_t)r;
    (*buf)[*len] = '\0';
}

void proc_finish(struct proc *p, double timeout)
{
    bool out_open = true, err_open = true;
    double end = now_s() + timeout;
    if (!p->out_buf)
        p->out_buf = calloc(1, 1);
    if (!p->err_buf)
        p->err_buf = calloc(1, 1);
    while (out_open || err_open) {
        struct pollfd pf[2] = {{out_open ? p->out : -1, POLLIN, 0},
                               {err_open ? p->err : -1, POLLIN, 0}};
        int ms = (int)((end - now_s()) * 1000);
        if (ms <= 0) {
            /* Output still open: a grandchild may hold it, or the process
             * hangs. Decide by the process itself below. */
            break;
        }
        if (poll(pf, 2, ms) <= 0)
            continue;
        if (pf[0].revents)
            drain(p->out, &p->out_buf, &p->out_len, &out_open);
        if (pf[1].revents)
            drain(p->err, &p->err_buf, &p->err_len, &err_open);
    }
    /* Reap with the same deadline: poll a pidfd for the exit. */
    int pfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    for (;;) {
        pid_t r = waitpid(p->pid, &p->status, WNOHANG);
        if (r == p->pid)
            break;
        int ms = (int)((end - now_s()) * 1000);
        if (ms <= 0 || pfd < 0) {
            if (pfd >= 0 || ms <= 0) {
                p->hung = true;
                kill(p->pid, SIGKILL);
            }
            waitpid(p->pid, &p->status, 0);
            break;
        }
        struct pollfd pf = {pfd, POLLIN, 0};
        poll(&pf, 1, ms);
    }
    if (pfd >= 0)
        close(pfd);
    p->seconds = now_s() - p->start;
    close(p->out);
    close(p->err);
    close(p->ready);
    proc_close_stdin(p);
}

void proc_free(struct proc *p)
{
    free(p->out_buf);
    free(p->err_buf);
    p->out_buf = p->err_buf = NULL;
}

int count_of(const char *hay, const char *needle)
{
    int n = 0;
    size_t l = strlen(needle);
    if (!hay || !l)
        return 0;
    for (const char *s = strstr(hay, needle); s; s = strstr(s + l, needle))
        n++;
    return n;
}

bool died_by(const struct proc *p, int sig)
{
    return !p->hung && WIFSIGNALED(p->status) && WTERMSIG(p->status) == sig;
}

bool exited_with(const struct proc *p, int code)
{
    return !p->hung && WIFEXITED(p->status) && WEXITSTATUS(p->status) == code;
}

const char *status_str(const struct proc *p)
{
    static char buf[128];
    if (p->hung)
        snprintf(buf, sizeof buf, "hung (killed after deadline)");
    else if (WIFSIGNALED(p->status))
        snprintf(buf, sizeof buf, "killed by signal %d%s", WTERMSIG(p->status),
                 WCOREDUMP(p->status) ? " (core)" : "");
    else
        snprintf(buf, sizeof buf, "exited with %d", WEXITSTATUS(p->status));
    return buf;
}

#ifdef ME_TEST_EMULATOR
/* Under qemu-user, /proc/<pid>/syscall of the emulated program shows the
 * HOST system call the emulator is blocked in, not the target's: the
 * target's call as qemu (7.2) carries it out on the host, for the calls the
 * tests wait on. The host's numbers come from the host's <sys/syscall.h>
 * (tests/CMakeLists.txt: ME_HOST_SYS_*), never literals. */
static long host_syscall(long nr)
{
    static const struct {
        long target, host;
    } map[] = {
        {SYS_read, ME_HOST_SYS_read},
        {SYS_write, ME_HOST_SYS_write},
        {SYS_ppoll, ME_HOST_SYS_ppoll},
        {SYS_clock_nanosleep, ME_HOST_SYS_clock_nanosleep},
#ifdef SYS_pause
        {SYS_pause, ME_HOST_SYS_rt_sigsuspend}, /* qemu's pause is sigsuspend */
#endif
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (map[i].target == nr)
            return map[i].host;
    fprintf(stderr, "proc_wait_syscall: no host call known for the target's %ld "
                    "(tests/harness.c, host_syscall)\n", nr);
    abort();
}
#endif

static bool in_syscall(pid_t pid, pid_t tid, long nr)
{
    char path[64], buf[64] = "";
    snprintf(path, sizeof path, "/proc/%d/task/%d/syscall", pid, tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    if (!fgets(buf, sizeof buf, f))
        buf[0] = '\0';
    fclose(f);
    return atol(buf) == nr && buf[0] >= '0' && buf[0] <= '9';
}

bool proc_wait_syscall(struct proc *p, long nr, double timeout)
{
    double end = now_s() + timeout;
#ifdef ME_TEST_EMULATOR
    if (me_emulated())
        nr = host_syscall(nr);
#endif
    for (;;) {
        if (in_syscall(p->pid, p->pid, nr))
            return true;
        siginfo_t si;
        memset(&si, 0, sizeof si);
        waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
        if (si.si_pid != 0 || now_s() > end)
            return false;
        sched_yield();
    }
}

bool thread_wait_syscall(pid_t pid, pid_t tid, long nr, double timeout)
{
    double end = now_s() + timeout;
#ifdef ME_TEST_EMULATOR
    if (me_emulated())
        nr = host_syscall(nr);
#endif
    while (!in_syscall(pid, tid, nr))
        if (now_s() > end)
            return false;
        else
            sched_yield();
    return true;
}

int run_suite(Suite *s, bool fork_each_test)
{
    load_skips();
    for (int i = 0; i < n_skips; i++)
        if (!skips[i].seen) {
            fprintf(stderr, "%s: tests/emulator_skips.txt names '%s', which the suite does not "
                            "add (me_add_test)\n", program_invocation_short_name, skips[i].test);
            return 1;
        }
    SRunner *sr = srunner_create(s);
    if (!fork_each_test)
        srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

void random_delay(unsigned *seed, long max_us)
{
    *seed = *seed * 1103515245u + 12345u;
    struct timespec ts = {0, (long)((*seed >> 8) % (unsigned long)max_us) * 1000L};
    clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

void busy_trials(int trials, unsigned seed, int *hangs, int *wrong, int *slow, double *worst)
{
    *hangs = *wrong = *slow = 0;
    *worst = 0;
    for (int trial = 0; trial < trials; trial++) {
        struct proc p;
        char line[32];
        proc_spawn(&p, true, NULL, prog_path("busy"), trial % 2 ? "4" : "2", NULL);
        ck_assert(proc_wait_ready(&p, line, sizeof line, 10.0));
        random_delay(&seed, 20000);
        double t0 = now_s();
        proc_kill(&p, SIGTERM);
        proc_finish(&p, 5.0);
        double took = now_s() - t0;
        if (took > *worst)
            *worst = took;
        if (p.hung)
            (*hangs)++;
        else if (!died_by(&p, SIGTERM) || count_of(p.out_buf, "exitfn complete 256\n") != 1)
            (*wrong)++;
        else if (took > me_bound(1.0))
            (*slow)++;
        proc_free(&p);
    }
}
