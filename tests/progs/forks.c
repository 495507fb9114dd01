/* SPDX-License-Identifier: MIT */
/* Exit-function ownership across every way to fork. Modes:
 *   shared      API shared functions before/after forks, grandchildren
 *   raw         _Fork, syscall(SYS_fork), clone(): children exit(0)
 *   inherit     plain atexit then fork; children exit(0) (MULTIEXIT_INHERIT)
 *   api         LIFO across API and atexit, unregister, child unregister
 *   vfork       a vfork child that (wrongly) calls exit()
 *   daemon FILE atexit, daemon(0,0); the daemon says "pid N" on fd 3 and
 *               waits for SIGTERM (exit functions append to FILE)
 * raw and vfork take an optional count N: N do-nothing exit functions are
 * registered first, enough for the shim to start caching the pid.
 * The API is looked up with dlsym: the program works preloaded or linked. */
#include <dlfcn.h>
#include <pty.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#if !__GLIBC_PREREQ(2, 34)
/* _Fork (fork without the atfork handlers) came with glibc 2.34: before,
 * the system call is the same thing. */
static pid_t _Fork(void)
{
#ifdef SYS_fork
    return (pid_t)syscall(SYS_fork);
#else
    return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
}
#endif

static char role[32] = "parent";
static int (*reg)(void (*)(void *), void *, int);
static int (*unreg)(void (*)(void *));

static void s1(void *arg) { printf("S1(%s) in %s\n", (char *)arg, role); }
static void s2(void *arg) { printf("S2(%s) in %s\n", (char *)arg, role); }
static void priv(void) { printf("private in %s\n", role); }
static void child_own(void) { printf("child's own in %s\n", role); }
static void a_api(void *arg) { printf("api %s in %s\n", (char *)arg, role); }
static void b_plain(void) { printf("plain B in %s\n", role); }
static void never(void *arg) { printf("NEVER %s\n", (char *)arg); }
static void nothing(void) {}

static pid_t child(const char *name, void (*body)(void))
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        snprintf(role, sizeof role, "%s", name);
        if (body)
            body();
        exit(0);
    }
    return p;
}

static void reap(pid_t p)
{
    int st;
    waitpid(p, &st, 0);
}

static void grandchild_body(void) { reap(child("grandchild", NULL)); }

static const char *daemon_file;
static void to_file(void)
{
    FILE *f = fopen(daemon_file, "a");
    fprintf(f, "f ran in %s\n", getpid() == (pid_t)atoi(role) ? "the daemon" : "another process");
    fclose(f);
}

static int clone_child(void *arg)
{
    (void)arg;
    snprintf(role, sizeof role, "clone child");
    atexit(child_own);
    exit(0);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = argc > 2 && strcmp(mode, "daemon") != 0 ? atoi(argv[2]) : 0; i > 0; i--)
        atexit(nothing);
    reg = (int (*)(void (*)(void *), void *, int))dlsym(RTLD_DEFAULT, "multiexit_register");
    unreg = (int (*)(void (*)(void *)))dlsym(RTLD_DEFAULT, "multiexit_unregister");

    if (strcmp(mode, "shared") == 0) {
        if (!reg)
            return 3;
        reg(s1, "before", 1);
        pid_t c1 = child("child1", NULL);
        reap(c1);
        reg(s2, "after", 1);
        reap(child("child2", grandchild_body));
        exit(0);
    }
    if (strcmp(mode, "raw") == 0 || strcmp(mode, "inherit") == 0) {
        atexit(priv);
        fflush(stdout);
        pid_t p = _Fork();
        if (p == 0) {
            snprintf(role, sizeof role, "_Fork child");
            atexit(child_own);
            exit(0);
        }
        reap(p);
#ifdef SYS_fork
        p = (pid_t)syscall(SYS_fork);
#else /* aarch64: fork is clone with SIGCHLD alone */
        p = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
#endif
        if (p == 0) {
            snprintf(role, sizeof role, "SYS_fork child");
            atexit(child_own);
            exit(0);
        }
        reap(p);
        static char stack[64 * 1024];
        p = clone(clone_child, stack + sizeof stack, SIGCHLD, NULL);
        reap(p);
        reap(child("fork child", NULL));
        exit(0);
    }
    if (strcmp(mode, "api") == 0) {
        if (!reg || !unreg)
            return 3;
        reg(a_api, "first", 0);
        atexit(b_plain);
        reg(a_api, "third", 0);
        reg(never, "x", 0);
        reg(never, "y", 1);
        printf("unregister never=%d\n", unreg(never));
        printf("unregister again=%d\n", unreg(never));
        printf("unregister unknown=%d\n", unreg(s2));
        reg(s1, "shared", 1);
        fflush(stdout);
        pid_t p = fork();
        if (p == 0) {
            snprintf(role, sizeof role, "child");
            printf("child unregister S1=%d\n", unreg(s1));
            exit(0);
        }
        reap(p);
        exit(0);
    }
    if (strcmp(mode, "vfork") == 0) {
        atexit(priv);
        if (reg)
            reg(s1, "shared", 1);
        pid_t p = vfork();
        if (p == 0)
            exit(0); /* wrong, but common: must not run or free the parent's list */
        reap(p);
        printf("parent goes on\n");
        exit(0);
    }
    if (strcmp(mode, "setsig") == 0) {
        /* choose the signals programmatically: HUP instead of TERM,INT */
        int (*setsig)(const char *) =
            (int (*)(const char *))dlsym(RTLD_DEFAULT, "multiexit_set_signals");
        if (!setsig || setsig("hup") != 0)
            return 3;
        printf("bogus=%d\n", setsig("HUP,NOPE")); /* refused whole, nothing changes */
        atexit(priv);
        ready("ready");
        for (;;)
            pause();
    }
    if (strcmp(mode, "daemon") == 0 && argc > 2) {
        daemon_file = argv[2];
        atexit(to_file);
        if (daemon(1, 0) != 0)
            return 1;
        snprintf(role, sizeof role, "%d", (int)getpid());
        char line[32];
        snprintf(line, sizeof line, "pid %d", (int)getpid());
        ready(line);
        for (;;)
            pause();
    }
    if (strcmp(mode, "forkpty") == 0) {
        /* the child reports its SIGINT disposition through the terminal;
         * the parent's private exit function stays the parent's */
        atexit(priv);
        int master;
        pid_t c = forkpty(&master, NULL, NULL, NULL);
        if (c < 0)
            return 1;
        if (c == 0) {
            struct sigaction q;
            sigaction(SIGINT, NULL, &q);
            printf("child SIGINT %s\n", q.sa_handler == SIG_IGN ? "ignored" : "default");
            exit(0);
        }
        char buf[256];
        ssize_t n;
        while ((n = read(master, buf, sizeof buf)) > 0)
            fwrite(buf, 1, (size_t)n, stdout);
        waitpid(c, NULL, 0);
        return 0;
    }
    return 2;
}
