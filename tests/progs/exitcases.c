/* SPDX-License-Identifier: MIT */
/* Small programs against the exit path's rules (SEMANTICS.md section 3).
 * Modes:
 *   vfork     atexit; a vfork child that says "ready" and waits: the test
 *             sends SIGTERM to the process group (the child's pid is on fd 3)
 *   notimers  RLIMIT_SIGPENDING 0 (no timer can be made), busy in memset
 *   segv      atexit; a crash inside strlen (run with SEGV managed)
 *   segv-own  atexit; a crash in the program's own code
 *   pipe      buffered stdout to a pipe whose reader is gone, atexit to stderr
 *   pid1 [inside]  as PID 1 of a pid namespace: "outer PID" on fd 3; inside:
 *             a child sends SIGTERM to PID 1 once stdin is closed
 *   pidreuse [exit]  as PID 1 of a pid namespace: a master with a private
 *             exit function, whose worker forks a process that gets the
 *             dead master's pid (ns_last_pid) and exits; with "exit" the
 *             worker is forked during the master's exit, and the process
 *             with its pid says "outer PID" on fd 3 and waits for SIGTERM
 *   exit-again [wait]  three exit functions, the middle one calls exit(7)
 *             (glibc goes on with the rest); main returns 0, or with
 *             "wait" says "ready" and waits for a signal */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static char role[32] = "main";
static void bye(void) { printf("atexit in %d\n", (int)getpid()); }
static void bye_stderr(void) { fprintf(stderr, "atexit ran\n"); }
static void again_first(void) { printf("first registered\n"); }
static void again_middle(void)
{
    printf("middle, exit(7)\n");
    exit(7);
}
static void again_last(void) { printf("last registered\n"); }
static void master_private(void) { printf("master private in %s\n", role); }
/* stdout becomes a pipe whose read end stays open and is never read: a
 * write blocks once it is full */
static bool stdout_to_unread_pipe(void)
{
    int fds[2];
    if (pipe(fds) != 0 || dup2(fds[1], 1) < 0)
        return false;
    close(fds[1]);
    return true;
}

static void stuck(void)
{
    fprintf(stderr, "atexit: stuck\n");
    for (;;)
        pause();
}

static int vfork_window(void)
{
    atexit(bye);
    setpgid(0, 0);
    pid_t c = vfork();
    if (c == 0) {
        char line[32];
        snprintf(line, sizeof line, "child %d", (int)getpid());
        ready(line);
        for (;;)
            pause();
    }
    waitpid(c, NULL, 0);
    printf("parent %d survived\n", (int)getpid());
    return 0;
}

static int no_timers(void)
{
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_SIGPENDING, &none) != 0)
        return 3;
    atexit(bye);
    static char big[32u << 20];
    ready("ready");
    for (unsigned i = 0;; i++) {
        memset(big, (int)i, sizeof big);
        __asm__ volatile("" : : "r"(big) : "memory"); /* not a dead store */
    }
}

static int pid1(int argc, char **argv)
{
    if (getpid() != 1)
        return 3;
    atexit(bye);
    char outer[32] = "", line[48];
    ssize_t n = readlink("/proc/self", outer, sizeof outer - 1);
    outer[n > 0 ? n : 0] = '\0';
    if (argc > 2 && strcmp(argv[2], "inside") == 0 && fork() == 0) {
        wait_stdin_eof();
        kill(1, SIGTERM);
        _exit(0);
    }
    snprintf(line, sizeof line, "outer %s", outer);
    ready(line);
    for (;;)
        pause();
}

/* The worker: waits until the master is gone, then forks a process that
 * gets its pid. That one exits, or (sigterm) waits for the test's SIGTERM. */
static void worker(int go, bool sigterm)
{
    snprintf(role, sizeof role, "worker");
    pid_t dead;
    if (read(go, &dead, sizeof dead) != sizeof dead)
        _exit(4);
    FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
    if (!f || fprintf(f, "%d", (int)dead - 1) < 0 || fclose(f) != 0)
        _exit(5);
    pid_t c = fork();
    if (c == 0) {
        snprintf(role, sizeof role, "process with the master's pid");
        printf("pid %s\n", getpid() == dead ? "reused" : "not reused");
        if (!sigterm)
            exit(0);
        char outer[32] = "", line[48];
        ssize_t n = readlink("/proc/self", outer, sizeof outer - 1);
        outer[n > 0 ? n : 0] = '\0';
        snprintf(line, sizeof line, "outer %s", outer);
        ready(line);
        for (;;)
            pause();
    }
    int st;
    waitpid(c, &st, 0);
    printf("it %s %d\n", WIFSIGNALED(st) ? "died by" : "exited with",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

static int go_fd;
static void fork_worker_at_exit(void)
{
    if (fork() == 0) {
        worker(go_fd, true);
        _exit(0);
    }
}

/* As PID 1: a master with a private exit function and a worker. With
 * "exit", the master forks the worker from an exit function, during its
 * exit, and the test sends SIGTERM to the process that gets its pid. */
static int pid_reuse(bool during_exit)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int go[2];
    if (getpid() != 1 || pipe(go) != 0)
        return 3;
    pid_t master = fork();
    if (master == 0) {
        snprintf(role, sizeof role, "master");
        close(go[1]);
        go_fd = go[0];
        atexit(master_private);
        if (during_exit)
            atexit(fork_worker_at_exit);
        else if (fork() == 0) {
            worker(go[0], false);
            exit(0);
        }
        exit(0);
    }
    waitpid(master, NULL, 0); /* its pid is free now */
    if (write(go[1], &master, sizeof master) != sizeof master)
        return 3;
    while (wait(NULL) > 0) { /* the worker is ours now */
    }
    printf("done\n");
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "vfork") == 0)
        return vfork_window();
    if (strcmp(mode, "notimers") == 0)
        return no_timers();
    if (strcmp(mode, "segv") == 0 || strcmp(mode, "segv-own") == 0) {
        atexit(bye);
        ready("ready");
        char *volatile p = NULL;
        if (strcmp(mode, "segv") == 0)
            return (int)strlen(p);
        *(volatile char *)p = 1;
        return 0;
    }
    if (strcmp(mode, "pipe") == 0) {
        int fds[2];
        if (pipe(fds) != 0 || dup2(fds[1], 1) < 0)
            return 3;
        close(fds[0]);
        close(fds[1]);
        atexit(bye_stderr);
        printf("buffered, never read\n");
        ready("ready");
        for (;;)
            pause();
    }
    if (strcmp(mode, "stuck-exitfn") == 0) {
        /* a normal exit whose exit function never returns */
        atexit(stuck);
        printf("main returns\n");
        ready("ready");
        return 0;
    }
    if (strcmp(mode, "stuck-flush") == 0) {
        /* a normal exit whose final flush blocks: stdout is a pipe that
         * nobody reads, with more buffered than it holds */
        if (!stdout_to_unread_pipe())
            return 3;
        static char buf[1 << 20];
        setvbuf(stdout, buf, _IOFBF, sizeof buf);
        for (int i = 0; i < 20000; i++)
            printf("line %05d of buffered output\n", i);
        atexit(bye_stderr);
        ready("ready");
        return 0;
    }
    if (strcmp(mode, "stdio-blocked") == 0) {
        /* stdio writing its buffer into a pipe that nobody reads */
        if (!stdout_to_unread_pipe())
            return 3;
        atexit(bye_stderr);
        ready("ready");
        for (;;)
            printf("a line of output that nobody reads\n");
    }
    if (strcmp(mode, "exit-again") == 0) {
        atexit(again_first);
        atexit(again_middle);
        atexit(again_last);
        if (argc > 2 && strcmp(argv[2], "wait") == 0) {
            ready("ready");
            for (;;)
                pause();
        }
        return 0;
    }
    if (strcmp(mode, "pid1") == 0)
        return pid1(argc, argv);
    if (strcmp(mode, "pidreuse") == 0)
        return pid_reuse(argc > 2 && strcmp(argv[2], "exit") == 0);
    return 2;
}
