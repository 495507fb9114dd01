/* SPDX-License-Identifier: MIT */
/* Handler chaining, one scenario per mode (see test_chain.c). Output is
 * written with write(2) from handlers and printf elsewhere. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

void comp1_install(int);
void comp2_install(int);
void comp3_install(int);
void comp4_install(int);
void comp2_install_info(void);
void comp1_install_masked(void);
void comp3_alternate(int);
void comp4_alternate(int);

static void say(const char *s)
{
    if (write(1, s, strlen(s)) < 0) {
    }
}

static void exitfn(void) { printf("exitfn\n"); }

static void main_handler(int sig)
{
    (void)sig;
    say("main handler\n");
}
static void ha(int sig)
{
    (void)sig;
    say("a\n");
}
static void hb(int sig)
{
    (void)sig;
    say("b\n");
}
static void hc(int sig)
{
    (void)sig;
    say("c\n");
}

static const char *name_of(void (*h)(int))
{
    if (h == SIG_DFL)
        return "DFL";
    if (h == SIG_IGN)
        return "IGN";
    if (h == SIG_ERR)
        return "ERR";
    if (h == ha)
        return "a";
    if (h == hb)
        return "b";
    if (h == hc)
        return "c";
    return "other";
}

static void show(const char *what, int sig)
{
    struct sigaction o;
    memset(&o, 0, sizeof o);
    int r = sigaction(sig, NULL, &o);
    unsigned long m;
    memcpy(&m, &o.sa_mask, sizeof m);
    printf("%s: r=%d handler=%s flags=%#x mask=%#lx\n", what, r, name_of(o.sa_handler),
           (unsigned)o.sa_flags, m);
}

/* Serve: say ready, then one "alive" per byte on stdin; exit(0) at EOF. */
static void serve(void)
{
    char c;
    ssize_t r;
    ready("ready");
    /* handlers without SA_RESTART interrupt the read, as without the shim */
    while ((r = read(0, &c, 1)) == 1 || (r < 0 && errno == EINTR))
        if (r == 1)
            ready("alive");
    exit(0);
}

/* ---- EINTR: tells the test on fd 3 that it ran ---- */
static void eintr_handler(int sig)
{
    (void)sig;
    say("a\n");
    ready("handled");
}

/* ---- re-raise idiom ---- */
static void reraiser(int sig)
{
    say("reraiser\n");
    signal(sig, SIG_DFL);
    raise(sig);
}

/* ---- SysV re-arm ---- */
static void rearm(int sig)
{
    say("rearm\n");
    signal(sig, rearm);
}

/* ---- masks ---- */
static void report_mask(const char *who)
{
    sigset_t cur;
    pthread_sigmask(SIG_BLOCK, NULL, &cur);
    char buf[128];
    snprintf(buf, sizeof buf, "%s: TERM %s, USR1 %s\n", who,
             sigismember(&cur, SIGTERM) ? "blocked" : "open",
             sigismember(&cur, SIGUSR1) ? "blocked" : "open");
    say(buf);
}
static void mask_b(int sig)
{
    (void)sig;
    report_mask("nodefer");
}

/* ---- storm ---- */
static atomic_long storm_count;
static atomic_bool storm_stop;
static void storm_handler(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    if (si->si_value.sival_int == 7)
        atomic_fetch_add(&storm_count, 1);
}
/* Other components install handlers of their own, without looking at the
 * program's: they chain with it and never replace it. */
static void *installer(void *arg)
{
    while (!atomic_load(&storm_stop)) {
        if (arg)
            comp3_alternate(SIGRTMIN + 1);
        else
            comp4_alternate(SIGRTMIN + 1);
    }
    return NULL;
}

static atomic_long forks;
/* forks children that exit at once, while the storm goes on */
static void *forker(void *arg)
{
    (void)arg;
    while (!atomic_load(&storm_stop)) {
        pid_t p = fork();
        if (p == 0)
            exit(0); /* runs only the child's own exit functions: none */
        if (p > 0) {
            while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {
            }
            atomic_fetch_add(&forks, 1);
        }
    }
    return NULL;
}

/* What Python's subprocess does: in a vfork child, reset every handled
 * signal to SIG_DFL before exec. */
static void vfork_reset(void)
{
    signal(SIGTERM, ha);
    pid_t p = vfork();
    if (p == 0) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigaction(SIGTERM, &dfl, NULL);
        _exit(0);
    }
    waitpid(p, NULL, 0);
    show("parent after vfork child reset", SIGTERM);
    raise(SIGTERM); /* the parent's handler, not the exit path */
    printf("parent goes on\n");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    atexit(exitfn);
    setvbuf(stdout, NULL, _IOLBF, 0);

    if (strcmp(mode, "plain") == 0)
        serve(); /* no handler at all: every signal has its default */
    if (strcmp(mode, "two") == 0) {
        comp1_install(0);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = main_handler;
        sigaction(SIGTERM, &sa, NULL);
        serve();
    }
    if (strcmp(mode, "five") == 0) {
        comp1_install(0);
        comp2_install(1);
        signal(SIGTERM, main_handler);
        comp3_install(0);
        comp4_install(1);
        serve();
    }
    if (strcmp(mode, "view") == 0) {
        /* what the program sees, compared with a run without the shim */
        show("initial TERM", SIGTERM);
        printf("signal(a) returned %s\n", name_of(signal(SIGTERM, ha)));
        show("after signal(a)", SIGTERM);
        printf("signal(b) returned %s\n", name_of(signal(SIGTERM, hb)));
        struct sigaction sa, old;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = hc;
        sa.sa_flags = SA_NODEFER;
        sigaddset(&sa.sa_mask, SIGUSR1);
        sigaddset(&sa.sa_mask, SIGKILL);
        sigaction(SIGTERM, &sa, &old);
        printf("sigaction(c) old=%s\n", name_of(old.sa_handler));
        show("after sigaction(c)", SIGTERM);
        printf("sysv_signal returned %s\n", name_of(sysv_signal(SIGTERM, ha)));
        show("after sysv_signal(a)", SIGTERM);
        printf("sigset returned %s\n", name_of(sigset(SIGTERM, hb)));
        show("after sigset(b)", SIGTERM);
        printf("sigset(HOLD) returned %s\n", name_of(sigset(SIGTERM, SIG_HOLD)));
        printf("sigset(HOLD) again %s\n", sigset(SIGTERM, SIG_HOLD) == SIG_HOLD ? "HOLD" : "?");
        printf("sigset(c) returned %s\n", sigset(SIGTERM, hc) == SIG_HOLD ? "HOLD" : "?");
        printf("siginterrupt=%d\n", siginterrupt(SIGTERM, 1));
        show("after siginterrupt(1)", SIGTERM);
        printf("signal(a) returned %s\n", name_of(signal(SIGTERM, ha)));
        show("signal after siginterrupt", SIGTERM);
        siginterrupt(SIGTERM, 0);
        show("after siginterrupt(0)", SIGTERM);
        printf("sigignore=%d\n", sigignore(SIGTERM));
        show("after sigignore", SIGTERM);
        printf("signal(DFL) returned %s\n", name_of(signal(SIGTERM, SIG_DFL)));
        errno = 0;
        printf("signal(SIG_ERR)=%s errno=%d\n", name_of(signal(SIGTERM, SIG_ERR)), errno);
        errno = 0;
        printf("sigaction(KILL)=%d errno=%d\n", sigaction(SIGKILL, &sa, NULL), errno);
        printf("sigaction(32)=%d errno=%d\n", sigaction(32, &sa, NULL), errno);
        printf("sigaction(65)=%d errno=%d\n", sigaction(65, NULL, &old), errno);
        /* unmanaged: the last one wins, as with libc */
        signal(SIGUSR2, ha);
        printf("USR2 signal(b) returned %s\n", name_of(signal(SIGUSR2, hb)));
        raise(SIGUSR2);
        show("USR2", SIGUSR2);
        exit(0);
    }
    if (strcmp(mode, "saverestore") == 0) {
        struct sigaction a, b, old;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        a.sa_handler = ha;
        b.sa_handler = hb;
        sigaction(SIGTERM, &a, NULL);
        sigaction(SIGTERM, &b, &old);
        sigaction(SIGTERM, &old, NULL);
        show("restored", SIGTERM);
        serve();
    }
    if (strcmp(mode, "reraise") == 0) {
        signal(SIGTERM, reraiser);
        ready("ready");
        for (;;)
            pause();
    }
    /* an older handler of another component, then the program's */
    if (strcmp(mode, "rearm") == 0) {
        comp1_install(0);
        sysv_signal(SIGTERM, rearm);
        serve();
    }
    if (strcmp(mode, "oneshot") == 0) {
        comp1_install(0);
        sysv_signal(SIGTERM, hb);
        serve();
    }
    if (strcmp(mode, "siginfo") == 0) {
        comp1_install(0);
        comp2_install_info();
        signal(SIGTERM, hb);
        serve();
    }
    if (strcmp(mode, "masks") == 0) {
        struct sigaction sa;
        comp1_install_masked();
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = mask_b;
        sa.sa_flags = SA_NODEFER;
        sigaction(SIGTERM, &sa, NULL);
        serve();
    }
    if (strncmp(mode, "eintr-", 6) == 0) {
        const char *how = mode + 6;
        if (strcmp(how, "sigaction") == 0) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = eintr_handler;
            sigaction(SIGTERM, &sa, NULL);
        } else {
            signal(SIGTERM, eintr_handler);
            if (strcmp(how, "siginterrupt") == 0)
                siginterrupt(SIGTERM, 1);
        }
        char c;
        ready("ready");
        ssize_t r = read(0, &c, 1);
        printf("read=%d errno=%s\n", (int)r, r < 0 && errno == EINTR ? "EINTR" : "-");
        exit(0);
    }
    if (strcmp(mode, "ign-exec") == 0) {
        signal(SIGTERM, ha);
        signal(SIGTERM, SIG_IGN);
        execl(argv[2], argv[2], "check-ign", (char *)NULL);
        return 99;
    }
    if (strcmp(mode, "storm") == 0 || strcmp(mode, "storm-fork") == 0) {
        bool forking = strcmp(mode, "storm-fork") == 0;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = storm_handler;
        sa.sa_flags = SA_SIGINFO | SA_RESTART;
        sigaction(SIGRTMIN + 1, &sa, NULL);
        pthread_t t[5];
        for (int i = 0; i < 4; i++)
            pthread_create(&t[i], NULL, installer, (void *)(long)(i & 1));
        if (forking)
            pthread_create(&t[4], NULL, forker, NULL);
        char c;
        ready("ready");
        ssize_t r;
        /* the installers' handlers have no SA_RESTART: EINTR is expected */
        while ((r = read(0, &c, 1)) == 1 || (r < 0 && errno == EINTR)) {
        }
        atomic_store(&storm_stop, true);
        for (int i = 0; i < (forking ? 5 : 4); i++)
            pthread_join(t[i], NULL);
        if (forking)
            printf("forked=%ld\n", atomic_load(&forks));
        /* everything sent before stdin closed is pending or delivered */
        sigset_t pend;
        do {
            sigpending(&pend);
        } while (sigismember(&pend, SIGRTMIN + 1));
        printf("count=%ld\n", atomic_load(&storm_count));
        exit(0);
    }
    if (strcmp(mode, "vfork-reset") == 0) {
        vfork_reset();
        exit(0);
    }
    if (strcmp(mode, "fork-vfork-reset") == 0) {
        /* the same in a forked child (a worker running a subprocess) */
        pid_t c = fork();
        if (c == 0) {
            vfork_reset();
            fflush(stdout);
            _exit(0);
        }
        waitpid(c, NULL, 0);
        exit(0);
    }
    if (strcmp(mode, "system") == 0) {
        int r = system("echo from system; exit 3");
        printf("system=%d\n", r);
        exit(0);
    }
    if (strcmp(mode, "abort") == 0) {
        printf("before abort\n");
        abort();
    }
    return 2;
}
