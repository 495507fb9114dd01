/* SPDX-License-Identifier: MIT */
/* Transparency of the handler chain (issue 13), one scenario per mode; see
 * test_transparency.c. Each mode is run without and with the shim and the
 * two runs are compared. Handlers write with write(2); everything else uses
 * line-buffered stdout (flushed before every fork). The program's handlers
 * are in this executable (one component); tlib_install's handler is in
 * libtlib.so (another component); the dlclose mode loads libtplugin.so. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include "common.h"

void tlib_install(int sig, int flags);
void tlib_forward_install(int sig, int one_call);
void tlib_later_install(int sig);
void tlib_later_deliver(void);
void tlib_install_where(int sig, int flags);

static void say(const char *s)
{
    if (write(1, s, strlen(s)) < 0) {
    }
}

static void exitfn(void) { printf("exitfn\n"); }

static struct sigaction act(void (*h)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    return sa;
}

static void install(int sig, void (*h)(int), int flags)
{
    struct sigaction sa = act(h, flags);
    if (sigaction(sig, &sa, NULL) != 0)
        printf("sigaction(%d) failed: %s\n", sig, strerror(errno));
}

/* One byte on stdin answers "alive" on fd 3 (after any pending signal's
 * handlers ran); EINTR is not an error; exit(0) at EOF. */
static void serve(void)
{
    char c;
    ssize_t r;
    ready("ready");
    while ((r = read(0, &c, 1)) == 1 || (r < 0 && errno == EINTR))
        if (r == 1)
            ready("alive");
    exit(0);
}

/* ---- handlers of the program component ---- */
static void host_handler(int sig)
{
    (void)sig;
    say("host\n");
}
static void handler_a(int sig)
{
    (void)sig;
    say("A\n");
}
static void handler_b(int sig)
{
    (void)sig;
    say("B\n");
}
static void program_handler(int sig)
{
    (void)sig;
    say("program\n");
}
static void startup_handler(int sig)
{
    (void)sig;
    say("startup\n");
}
static void main_handler(int sig)
{
    (void)sig;
    say("main\n");
}

/* ---- re-raise (readline) ---- */
static struct sigaction saved_old;
static void reraise_dfl(int sig)
{
    say("reraiser\n");
    signal(sig, SIG_DFL);
    raise(sig);
}
static void reraise_old(int sig)
{
    say("reraiser\n");
    sigaction(sig, &saved_old, NULL);
    raise(sig);
}

/* Go's runtime forwards by raising its signal again, unblocked, from its
 * own handler (dieFromSignal) */
static int reraiser_calls;
static void reraise_unblocked(int sig)
{
    if (++reraiser_calls > 1) {
        say("program: raised again\n");
        return;
    }
    say("program\n");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

/* ---- errno ---- */
static void errno_setter(int sig)
{
    (void)sig;
    errno = 4242;
}
static void errno_keeper(int sig)
{
    (void)sig;
    say("keeper\n"); /* a successful write: errno untouched */
}

/* ---- alternate stack ---- */
static char *alt_base;
static size_t alt_size;
static void setup_altstack(size_t size)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, size + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || mprotect(m, pg, PROT_NONE) != 0) { /* guard page below */
        perror("mmap");
        exit(3);
    }
    alt_base = m + pg;
    alt_size = size;
    stack_t ss;
    memset(&ss, 0, sizeof ss);
    ss.ss_sp = alt_base;
    ss.ss_size = size;
    if (sigaltstack(&ss, NULL) != 0) {
        perror("sigaltstack");
        exit(3);
    }
}
static bool on_alt(const void *p)
{
    return (uintptr_t)p >= (uintptr_t)alt_base && (uintptr_t)p < (uintptr_t)alt_base + alt_size;
}
static void where_handler(int sig)
{
    volatile char local = 0;
    (void)sig;
    say(on_alt((const void *)&local) ? "program: alternate stack\n" : "program: main stack\n");
}
static volatile unsigned long depth;
static __attribute__((noinline)) void depth_handler(int sig)
{
    volatile char local = (char)sig;
    depth = (unsigned long)((uintptr_t)(alt_base + alt_size) - (uintptr_t)&local);
}
static size_t fit_pad;
static __attribute__((noinline)) void fit_use(volatile char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)i;
}
static __attribute__((noinline)) void fit_handler(int sig)
{
    volatile char locals[1536]; /* ~1.5 KB of locals */
    fit_use(locals, sizeof locals);
    if (fit_pad) {
        /* what the test adds so that, without the shim, about 512 bytes
         * of the alternate stack stay free */
        volatile char *more = __builtin_alloca(fit_pad);
        fit_use(more, fit_pad);
    }
    (void)sig;
    say("fit handler done\n");
}
/* Bytes of the alternate stack written so far (it was filled with 0xa5). */
static size_t alt_used(void)
{
    size_t i = 0;
    while (i < alt_size && (unsigned char)alt_base[i] == 0xa5)
        i++;
    return alt_size - i;
}

/* ---- siglongjmp ---- */
static sigjmp_buf jb;
static volatile sig_atomic_t jump_out;
static void h_jumper(int sig)
{
    (void)sig;
    say("h\n");
    if (jump_out) {
        jump_out = 0;
        siglongjmp(jb, 1);
    }
}
static void h_tmp(int sig)
{
    (void)sig;
    say("tmp\n");
}

/* ---- SIG_HOLD of every signal ---- */
static pthread_mutex_t hold_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cv = PTHREAD_COND_INITIALIZER;
static bool held;
static int hold_errs;
static int hold_pipe[2];
static void hold_all(void)
{
    for (int s = 1; s <= 64; s++)
        if (sigset(s, SIG_HOLD) == SIG_ERR)
            hold_errs++;
    pthread_mutex_lock(&hold_mu);
    held = true;
    pthread_cond_signal(&hold_cv);
    pthread_mutex_unlock(&hold_mu);
}
static void wait_held(void)
{
    pthread_mutex_lock(&hold_mu);
    while (!held)
        pthread_cond_wait(&hold_cv, &hold_mu);
    pthread_mutex_unlock(&hold_mu);
}
static void *hold_then_pause(void *arg)
{
    (void)arg;
    hold_all();
    for (;;)
        pause(); /* a cancellation point */
    return NULL;
}
static void *hold_then_wait(void *arg)
{
    (void)arg;
    hold_all();
    char c;
    while (read(hold_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    return NULL;
}

/* ---- fork while other threads save/restore ---- */
static atomic_bool storm_stop;
static void noise(int sig) { (void)sig; }
static void child_handler(int sig) { (void)sig; }
static void *save_restore_loop(void *arg)
{
    (void)arg;
    struct sigaction mine = act(noise, 0), old;
    while (!atomic_load(&storm_stop)) {
        sigaction(SIGTERM, &mine, &old);
        sigaction(SIGTERM, &old, NULL);
    }
    return NULL;
}
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
/* A fixed number of save/restore rounds (the install-race mode). */
static void *save_restore_rounds(void *arg)
{
    long n = (long)arg;
    struct sigaction mine = act(noise, 0), old;
    for (long i = 0; i < n; i++) {
        sigaction(SIGTERM, &mine, &old);
        sigaction(SIGTERM, &old, NULL);
    }
    return NULL;
}
/* Waits for child c until the monotonic time `end`; false (and the child
 * killed) on timeout. */
static bool reap_by(pid_t c, double end, int *status)
{
    int pfd = (int)syscall(SYS_pidfd_open, c, 0);
    if (pfd >= 0) {
        struct pollfd pf = {pfd, POLLIN, 0};
        int r, ms;
        while ((ms = (int)((end - now_s()) * 1000)) > 0 && (r = poll(&pf, 1, ms)) < 0 &&
               errno == EINTR) {
        }
        if (ms <= 0)
            r = poll(&pf, 1, 0);
        close(pfd);
        if (r == 0) {
            kill(c, SIGKILL);
            waitpid(c, status, 0);
            return false;
        }
    }
    while (waitpid(c, status, 0) < 0 && errno == EINTR) {
    }
    return true;
}

static void show_flags(const char *what, const struct sigaction *o)
{
    printf("%s: flags=%#x unsupported-bit=%s\n", what, (unsigned)o->sa_flags,
           (o->sa_flags & 0x400) ? "kept" : "cleared");
}

static void fork_child_report(pid_t c)
{
    int st = 0;
    if (!reap_by(c, now_s() + 5.0, &st))
        printf("parent: child hung\n");
    else if (WIFEXITED(st))
        printf("parent: child exited %d\n", WEXITSTATUS(st));
    else
        printf("parent: child killed by %d\n", WTERMSIG(st));
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(mode, "dlclose") == 0 || strcmp(mode, "dlclose-disposition") == 0) {
        /* argv[2]: the plugin */
        atexit(exitfn);
        void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            printf("dlopen: %s\n", dlerror());
            return 1;
        }
        void (*plugin_install)(void) = (void (*)(void))dlsym(h, "plugin_install");
        plugin_install();
        if (strcmp(mode, "dlclose") == 0)
            install(SIGTERM, host_handler, 0);
        dlclose(h);
        printf("plugin %s\n", dlopen(argv[2], RTLD_NOW | RTLD_NOLOAD) ? "still loaded" : "unloaded");
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "reraise-dfl") == 0 || strcmp(mode, "reraise-old") == 0) {
        atexit(exitfn);
        tlib_install(SIGTERM, 0); /* an older handler of another component */
        bool to_old = strcmp(mode, "reraise-old") == 0;
        struct sigaction sa = act(to_old ? reraise_old : reraise_dfl, 0);
        sigaction(SIGTERM, &sa, &saved_old);
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "errno") == 0) {
        install(SIGTERM, errno_setter, 0);
        errno = 0;
        raise(SIGTERM);
        int e = errno;
        printf("after a handler set it: errno=%d\n", e);
        install(SIGTERM, errno_keeper, 0);
        errno = 77;
        raise(SIGTERM);
        e = errno;
        printf("after a handler left it: errno=%d\n", e);
        exit(0);
    }
    if (strcmp(mode, "unsupported") == 0) {
        /* The SA_UNSUPPORTED probe (Linux 5.11+): set an unknown bit, read
         * the flags back; the kernel clears the bits it does not support. */
        struct sigaction sa = act(host_handler, SA_RESTART | 0x400), o;
        memset(&o, 0, sizeof o);
        printf("install=%d\n", sigaction(SIGTERM, &sa, NULL));
        sigaction(SIGTERM, NULL, &o);
        show_flags("query", &o);
        struct sigaction sb = act(host_handler, SA_RESTART);
        memset(&o, 0, sizeof o);
        sigaction(SIGTERM, &sb, &o);
        show_flags("next install's oldact", &o);
        exit(0);
    }
    if (strcmp(mode, "onstack-where") == 0) {
        setup_altstack(65536);
        /* one component: the program's handler did not ask for SA_ONSTACK */
        install(SIGTERM, where_handler, 0);
        raise(SIGTERM);
        signal(SIGTERM, SIG_DFL);
        /* an older handler of another component did ask for it */
        tlib_install(SIGTERM, SA_ONSTACK);
        install(SIGTERM, where_handler, 0);
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "onstack-chained") == 0) {
        /* each handler on the stack its own flags ask for, whatever the
         * newest one's flags are */
        setup_altstack(65536);
        tlib_install_where(SIGTERM, SA_ONSTACK);
        install(SIGTERM, where_handler, 0);
        raise(SIGTERM);
        signal(SIGTERM, SIG_DFL);
        tlib_install_where(SIGTERM, 0);
        install(SIGTERM, where_handler, SA_ONSTACK);
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "forward-query") == 0 || strcmp(mode, "forward-one-call") == 0) {
        /* the library reads the program's handler and forwards to it */
        signal(SIGTERM, program_handler);
        tlib_forward_install(SIGTERM, strcmp(mode, "forward-one-call") == 0);
        raise(SIGTERM);
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "forward-later") == 0) {
        signal(SIGTERM, program_handler);
        tlib_later_install(SIGTERM);
        for (int i = 0; i < 2; i++) {
            raise(SIGTERM); /* Ctrl-C at the prompt */
            tlib_later_deliver();
        }
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "reraise-nested") == 0) {
        install(SIGTERM, reraise_unblocked, 0);
        tlib_install(SIGTERM, 0); /* newer, without reading: chained */
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "overwrite-unread") == 0) {
        /* the program replaces a library's handler without reading it,
         * with signal() and then with sigaction(sig, &sa, NULL) */
        tlib_install(SIGTERM, 0);
        signal(SIGTERM, program_handler);
        raise(SIGTERM);
        install(SIGTERM, main_handler, 0);
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "onstack-depth") == 0) {
        setup_altstack(65536);
        install(SIGTERM, depth_handler, SA_ONSTACK);
        raise(SIGTERM);
        printf("depth=%lu\n", depth);
        exit(0);
    }
    if (strcmp(mode, "onstack-fit") == 0) {
        /* argv[2], "PAD[:SIZE]": bytes the handler uses on top of its 1.5 KB
         * of locals, and the alternate stack's size (default 8 KiB) */
        char *end = NULL;
        fit_pad = argc > 2 ? strtoul(argv[2], &end, 10) : 0;
        size_t size = end && *end == ':' ? strtoul(end + 1, NULL, 10) : 8192;
        setup_altstack(size);
        memset(alt_base, 0xa5, alt_size);
        install(SIGTERM, fit_handler, SA_ONSTACK);
        raise(SIGTERM);
        printf("used=%zu\n", alt_used());
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "nocldwait") == 0) {
        struct sigaction sa = act(SIG_DFL, SA_NOCLDWAIT);
        sigaction(SIGCHLD, &sa, NULL);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0)
            _exit(0);
        errno = 0;
        pid_t r = wait(NULL);
        if (r < 0)
            printf("wait=-1 errno=%s\n", errno == ECHILD ? "ECHILD" : strerror(errno));
        else
            printf("wait returned the child: it was left a zombie\n");
        exit(0);
    }
    if (strcmp(mode, "tstp") == 0) {
        setpgid(0, 0); /* not an orphaned process group: TSTP may stop it */
        tlib_install(SIGTSTP, 0);                       /* older, another component */
        install(SIGTSTP, program_handler, SA_RESETHAND); /* newest, one-shot */
        serve();
    }
    if (strcmp(mode, "hold-cancel") == 0) {
        pthread_t t;
        pthread_create(&t, NULL, hold_then_pause, NULL);
        wait_held();
        printf("held, errors=%d\n", hold_errs);
        pthread_cancel(t);
        void *r;
        pthread_join(t, &r);
        printf("thread %s\n", r == PTHREAD_CANCELED ? "cancelled" : "not cancelled");
        exit(0);
    }
    if (strcmp(mode, "hold-setgid") == 0) {
        if (pipe(hold_pipe) != 0)
            return 3;
        pthread_t t;
        pthread_create(&t, NULL, hold_then_wait, NULL);
        wait_held();
        printf("held, errors=%d\n", hold_errs);
        printf("setgid=%d\n", setgid(getgid()));
        if (write(hold_pipe[1], "x", 1) != 1)
            return 3;
        pthread_join(t, NULL);
        printf("joined\n");
        exit(0);
    }
    if (strcmp(mode, "longjmp") == 0) {
        install(SIGTERM, h_jumper, 0);
        jump_out = 1;
        if (sigsetjmp(jb, 1) == 0)
            raise(SIGTERM);
        /* h is not running any more: the save/restore idiom must work */
        struct sigaction tmp = act(h_tmp, 0), old;
        sigaction(SIGTERM, &tmp, &old);
        sigaction(SIGTERM, &old, NULL);
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "forkstorm") == 0) {
        int n = argc > 2 ? atoi(argv[2]) : 200;
        int nt = argc > 3 ? atoi(argv[3]) : 4;
        int batch = argc > 4 ? atoi(argv[4]) : 1;
        install(SIGTERM, host_handler, 0);
        pthread_t t[16];
        if (nt < 1 || nt > 16 || batch < 1 || batch > 50)
            return 2;
        for (int i = 0; i < nt; i++)
            pthread_create(&t[i], NULL, save_restore_loop, NULL);
        /* argv: children, threads, batch. Children are forked `batch` at a
         * time, then each reaped with a deadline: a hung child is killed,
         * and no further batch is forked. */
        int done = 0, hung = 0, bad = 0;
        fflush(stdout);
        while (done < n && !hung) {
            pid_t kids[50];
            int k = 0;
            for (; k < batch && done + k < n; k++) {
                kids[k] = fork();
                if (kids[k] < 0) {
                    printf("fork: %s\n", strerror(errno));
                    exit(1);
                }
                if (kids[k] == 0) {
                    signal(SIGTERM, child_handler);
                    _exit(0);
                }
            }
            double end = now_s() + 2.0; /* for the batch: a child exits at once */
            for (int i = 0; i < k; i++) {
                int st = 0;
                if (!reap_by(kids[i], end, &st))
                    hung++;
                else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
                    bad++;
            }
            done += k;
        }
        atomic_store(&storm_stop, true);
        for (int i = 0; i < nt; i++)
            pthread_join(t[i], NULL);
        printf("children=%d hung=%d bad=%d\n", done, hung, bad);
        exit(0);
    }
    if (strcmp(mode, "install-race") == 0) {
        /* argv: threads, rounds each */
        int nt = argc > 2 ? atoi(argv[2]) : 8;
        long rounds = argc > 3 ? atol(argv[3]) : 20000;
        pthread_t t[16];
        if (nt < 1 || nt > 16)
            return 2;
        install(SIGTERM, host_handler, 0);
        for (int i = 0; i < nt; i++)
            pthread_create(&t[i], NULL, save_restore_rounds, (void *)rounds);
        for (int i = 0; i < nt; i++)
            pthread_join(t[i], NULL);
        /* not raise(): which handler is left is a race without the shim */
        printf("%d threads done\n", nt);
        exit(0);
    }
    if (strcmp(mode, "fork-replace") == 0 || strcmp(mode, "fork-replace-lib") == 0) {
        /* PostgreSQL: the postmaster's handler, then the backend's own */
        if (strcmp(mode, "fork-replace") == 0)
            install(SIGTERM, handler_a, 0);
        else
            tlib_install(SIGTERM, 0);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            install(SIGTERM, handler_b, 0);
            raise(SIGTERM);
            printf("child goes on\n");
            fflush(stdout);
            _exit(0);
        }
        fork_child_report(c);
        raise(SIGTERM); /* the parent's own handler is untouched */
        printf("parent goes on\n");
        exit(0);
    }
    if (strcmp(mode, "replace-own") == 0) {
        install(SIGTERM, startup_handler, 0);
        install(SIGTERM, main_handler, 0); /* same component: replaces */
        raise(SIGTERM);
        signal(SIGTERM, startup_handler);  /* and back, with signal() */
        raise(SIGTERM);
        printf("goes on\n");
        exit(0);
    }
    if (strcmp(mode, "two-components") == 0) {
        atexit(exitfn);
        tlib_install(SIGTERM, 0);
        install(SIGTERM, program_handler, 0);
        raise(SIGTERM);
        printf("goes on\n");
        signal(SIGTERM, SIG_DFL);
        raise(SIGTERM);
        printf("not reached\n");
        exit(0);
    }
    if (strcmp(mode, "daemon") == 0) {
        install(SIGTERM, handler_a, 0);
        fflush(stdout);
        if (daemon(1, 1) != 0) { /* keep the directory and fds 0-3 */
            printf("daemon: %s\n", strerror(errno));
            return 1;
        }
        /* the same program going on: another component's handler chains */
        tlib_install(SIGTERM, 0);
        raise(SIGTERM);
        printf("daemon: after lib's install\n");
        /* and the program's own new handler replaces its old one */
        install(SIGTERM, handler_b, 0);
        raise(SIGTERM);
        printf("daemon: after program's install\n");
        fflush(stdout);
        _exit(0);
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
