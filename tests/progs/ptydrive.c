/* SPDX-License-Identifier: MIT */
/* ptydrive: runs a command in a pseudo-terminal and drives it with a script
 * of steps, as someone at the keyboard would, then prints what the terminal
 * showed and how the command ended. tests/prompts.sh runs readline programs
 * (sqlite3, bc, bash) with it, without and with the shim, and compares the
 * transcripts: Ctrl-C at a readline prompt must do under the shim what it
 * does without it (readline saves the program's SIGINT handler, restores it
 * on the signal and re-raises: the program's handler runs once).
 *
 * Usage: ptydrive [-v] [-t SECONDS] [-e VAR=VAL]... [-u VAR]... -- STEP... -- CMD [ARG]...
 *   wait:TEXT  read the output until TEXT appears in what came after the
 *              previous wait's match (in the normalised output)
 *   idle       wait until the command is blocked waiting for input (in
 *              read, select, pselect6, poll or ppoll: /proc/PID/syscall),
 *              reading the output meanwhile (see below)
 *   send:TEXT  type TEXT
 *   TEXT escapes: \xHH, \n, \r, \t, \e, \\ (\x03 is Ctrl-C); a wait's TEXT is
 *   matched in the normalised output, where a control character (but \n,
 *   \t) is the four characters \xHH: wait:'\\x07' for a bell
 *   -t  bound of each wait and idle, and of the end (default 20 s)
 *   -e, -u  set, unset a variable of the command's environment (TERM is
 *       "dumb" unless set: output without cursor movements)
 *   -v  the steps, timed, on stderr
 * After the last step it reads until the command has closed the terminal,
 * then reaps it. Stdout: the transcript, normalised (no \r, no terminal
 * escape sequences, other control characters as \xHH), and a last line
 * "status=exited N" or "status=signaled N". When a step fails (the output
 * ended, the command ended, or the bound passed: the command's process group
 * is then killed) the remaining steps are skipped and a line "ptydrive: ..."
 * before the status says which; exit 1. Exit 0 = every step done; 2 = usage
 * or system error.
 *
 * Synchronisation: by the output (poll), and by "idle". A prompt on the
 * screen does not mean that the program waits for a key: readline writes
 * the prompt, and after a signal restores the program's handler, calls it,
 * then installs its own again, before it blocks in pselect; a key or a
 * Ctrl-C in between meets another state (bash then loses the Ctrl-C; the
 * kernel echoes what readline would). "idle" is the pause a person makes
 * before the next key: the command is asleep in a read or a select. It
 * checks /proc between polls of the output that time out after 2 ms (the
 * bounded wait for a kernel state that the output cannot show); never a
 * sleep of a guessed length.
 * The terminal has NOFLSH set: without it the kernel, after it has sent the
 * signal of a Ctrl-C, discards output that the command may already have
 * written in reaction (on another CPU), at random.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* forkpty, signalfd, strsignal */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int master = -1, sigfd = -1;
static pid_t child = -1;
static bool reaped, verbose, ended; /* ended: no slave side is open */
static int status;
static double bound = 20.0, t0;
static const char *cmd0 = "the command";

/* ---- the transcript: raw bytes in, normalised text out, as they come ---- */
static char *text;
static size_t len, cap;
static enum { GROUND, ESC, ESC_INTER, CSI, STR, STR_ESC } state;

static _Noreturn void die(const char *what);

static void put(const char *s, size_t n)
{
    if (!text || len + n + 1 > cap) {
        cap = (len + n + 1) * 2;
        char *t = realloc(text, cap);
        if (!t)
            die("ptydrive: realloc");
        text = t;
    }
    memcpy(text + len, s, n);
    len += n;
    text[len] = '\0';
}

/* Drops \r and escape sequences (CSI, OSC and the other strings, two- and
 * three-byte ESC sequences); shows other control characters as \xHH. A
 * sequence split between two reads is handled: the state carries over. */
static void normalise(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        switch (state) {
        case GROUND:
            if (c == 0x1b)
                state = ESC;
            else if (c == '\r')
                ;
            else if (c == '\n' || c == '\t' || (c >= 0x20 && c != 0x7f))
                put((const char *)&c, 1);
            else {
                char hex[8];
                snprintf(hex, sizeof hex, "\\x%02x", c);
                put(hex, strlen(hex));
            }
            break;
        case ESC:
            if (c == '[')
                state = CSI;
            else if (c == ']' || c == 'P' || c == 'X' || c == '^' || c == '_')
                state = STR;
            else if (c >= 0x20 && c <= 0x2f)
                state = ESC_INTER;
            else
                state = GROUND;
            break;
        case ESC_INTER:
            if (c < 0x20 || c > 0x2f)
                state = GROUND;
            break;
        case CSI:
            if (c >= 0x40 && c <= 0x7e)
                state = GROUND;
            break;
        case STR:
            if (c == 0x07)
                state = GROUND;
            else if (c == 0x1b)
                state = STR_ESC;
            break;
        case STR_ESC:
            state = c == '\\' ? GROUND : STR;
            break;
        }
    }
}

/* ---- helpers ---- */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void trace(const char *fmt, ...)
{
    if (!verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ptydrive %7.3f: ", now() - t0);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void kill_child(void)
{
    if (child <= 0 || reaped)
        return;
    kill(-child, SIGKILL); /* its process group: it leads a session */
    kill(child, SIGKILL);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    reaped = true;
}

static _Noreturn void die(const char *what)
{
    perror(what);
    kill_child();
    exit(2);
}

/* \xHH, \n, \r, \t, \e, \\; returns the length (the text may hold \x00). */
static size_t unescape(const char *s, char *out)
{
    size_t n = 0;
    while (*s) {
        if (*s != '\\' || !s[1]) {
            out[n++] = *s++;
            continue;
        }
        s++;
        switch (*s) {
        case 'n': out[n++] = '\n'; s++; break;
        case 'r': out[n++] = '\r'; s++; break;
        case 't': out[n++] = '\t'; s++; break;
        case 'e': out[n++] = 0x1b; s++; break;
        case '\\': out[n++] = '\\'; s++; break;
        case 'x': {
            char hex[3] = {0}, *end;
            if (s[1] && s[2]) {
                hex[0] = s[1];
                hex[1] = s[2];
                long v = strtol(hex, &end, 16);
                if (*end == '\0') {
                    out[n++] = (char)v;
                    s += 3;
                    break;
                }
            }
            fprintf(stderr, "ptydrive: bad escape \\%s\n", s);
            exit(2);
        }
        default:
            fprintf(stderr, "ptydrive: bad escape \\%c\n", *s);
            exit(2);
        }
    }
    out[n] = '\0';
    return n;
}

/* Reaps the child if it has ended (never blocks). */
static void try_reap(void)
{
    if (reaped)
        return;
    pid_t r = waitpid(child, &status, WNOHANG);
    if (r == child) {
        reaped = true;
        trace("the command has ended");
    } else if (r < 0 && errno != EINTR)
        die("ptydrive: waitpid");
}

/* Reads what the terminal has, waiting at most until `deadline`, for one
 * event: returns 1 = output read, 0 = the output has ended (every slave side
 * closed) and, with `reap`, the child too, -1 = the deadline passed. The
 * child's end is noted on the way (SIGCHLD, through the signalfd). */
static int pump(double deadline, bool reap)
{
    for (;;) {
        if (ended && (!reap || reaped))
            return 0;
        double left = deadline - now();
        if (left <= 0)
            return -1;
        /* once the output has ended, only the child's end is left to come */
        struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN}, {.fd = ended ? -1 : master, .events = POLLIN}};
        int r = poll(p, 2, (int)(left * 1000) + 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            die("ptydrive: poll");
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof si) < 0) {
                if (errno != EAGAIN && errno != EINTR)
                    die("ptydrive: read signalfd");
            } else if (si.ssi_signo != SIGCHLD) { /* stopped from outside */
                fprintf(stderr, "ptydrive: %s: killing %s\n", strsignal((int)si.ssi_signo), cmd0);
                kill_child();
                exit(2);
            }
            try_reap();
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            unsigned char buf[4096];
            ssize_t n = read(master, buf, sizeof buf);
            if (n > 0) {
                normalise(buf, (size_t)n);
                return 1;
            }
            if (n == 0 || errno == EIO) { /* Linux: EIO once no slave is open */
                ended = true;
                trace("the output has ended");
                continue;
            }
            if (errno != EINTR && errno != EAGAIN)
                die("ptydrive: read");
        }
    }
}

/* Whether the command is asleep waiting for input: 1 yes, 0 not now, -1 the
 * kernel does not tell (no /proc, or no right to read it). */
static int waiting_for_input(void)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)child);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long nr;
    if (sscanf(buf, "%ld", &nr) != 1) /* "running" */
        return 0;
    /* the same sample: asleep in it (S), not on the way in or out */
    snprintf(path, sizeof path, "/proc/%d/stat", (int)child);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    char st = '?';
    if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1) {
        /* a ')' in the name: the state follows the last ')' */
        rewind(f);
        size_t m = fread(buf, 1, sizeof buf - 1, f);
        buf[m] = '\0';
        char *rp = strrchr(buf, ')');
        st = rp && rp[1] && rp[2] ? rp[2] : '?';
    }
    fclose(f);
    if (st != 'S')
        return 0;
    return nr == SYS_read || nr == SYS_pselect6 || nr == SYS_ppoll
#ifdef SYS_select
           || nr == SYS_select
#endif
#ifdef SYS_poll
           || nr == SYS_poll
#endif
        ;
}

static void send_all(const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(master, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("ptydrive: write");
        }
        s += w;
        n -= (size_t)w;
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: ptydrive [-v] [-t SECONDS] [-e VAR=VAL]... [-u VAR]... "
                    "-- STEP... -- CMD [ARG]...\n"
                    "  STEP: wait:TEXT | idle | send:TEXT (escapes \\xHH \\n \\r \\t \\e \\\\)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    t0 = now();
    setenv("TERM", "dumb", 1); /* -e TERM=... overrides */
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            char *end;
            bound = strtod(argv[++i], &end);
            if (*end || !(bound > 0))
                usage();
        } else if (strcmp(argv[i], "-e") == 0 && i + 1 < argc) {
            char *eq = strchr(argv[++i], '=');
            if (!eq || eq == argv[i])
                usage();
            *eq = '\0';
            setenv(argv[i], eq + 1, 1);
            *eq = '=';
        } else if (strcmp(argv[i], "-u") == 0 && i + 1 < argc)
            unsetenv(argv[++i]);
        else
            usage();
    }
    if (i >= argc)
        usage();
    int first_step = ++i;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strncmp(argv[i], "wait:", 5) != 0 && strncmp(argv[i], "send:", 5) != 0 &&
            strcmp(argv[i], "idle") != 0) {
            fprintf(stderr, "ptydrive: not a step: %s\n", argv[i]);
            usage();
        }
    int end_steps = i;
    if (i + 1 >= argc)
        usage();
    char **cmd = argv + i + 1;

    /* the child's end wakes poll: SIGCHLD through a signalfd; so do the
     * signals that stop this program (the command is killed first) */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &sigs, NULL) != 0)
        die("ptydrive: sigprocmask");
    if ((sigfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
        die("ptydrive: signalfd");
    cmd0 = cmd[0];

    struct winsize ws = {.ws_row = 24, .ws_col = 80};
    child = forkpty(&master, NULL, NULL, &ws);
    if (child < 0)
        die("ptydrive: forkpty");
    if (child == 0) {
        /* as a terminal emulator starts a shell: every signal at its
         * default, none blocked, whatever this process inherited (a
         * background job of a script has SIGINT ignored) */
        for (int s = 1; s < NSIG; s++)
            if (s != SIGKILL && s != SIGSTOP)
                signal(s, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct termios tio; /* NOFLSH: see the header */
        if (tcgetattr(0, &tio) == 0) {
            tio.c_lflag |= NOFLSH;
            tcsetattr(0, TCSANOW, &tio);
        }
        execvp(cmd[0], cmd);
        fprintf(stderr, "ptydrive: cannot run %s: %s\n", cmd[0], strerror(errno));
        _exit(127);
    }
    trace("started %s, pid %d", cmd[0], (int)child);

    int rc = 0;
    bool kill_now = false; /* a step failed, the command still runs */
    size_t mark = 0; /* the previous wait's match ends here */
    char note[4096] = "";
    for (i = first_step; i < end_steps && rc == 0; i++) {
        const char *step = argv[i];
        int nstep = i - first_step + 1;
        char *arg = malloc(strlen(step) + 1);
        if (!arg)
            die("ptydrive: malloc");
        size_t n = strcmp(step, "idle") == 0 ? 0 : unescape(step + 5, arg);
        double deadline = now() + bound;
        if (step[0] == 's') {
            trace("%s", step);
            send_all(arg, n);
        } else if (step[0] == 'w') {
            char *hit;
            int r = 1;
            while (!(hit = strstr(text ? text + mark : "", arg)) && r == 1)
                r = pump(deadline, false);
            if (hit) {
                mark = (size_t)(hit - text) + n;
                trace("%s: seen", step);
            } else if (r == 0)
                snprintf(note, sizeof note, "ptydrive: step %d, %s: the output ended first", nstep, step);
            else {
                snprintf(note, sizeof note, "ptydrive: step %d, %s: not seen within %g s", nstep, step, bound);
                kill_now = true;
            }
        } else { /* idle */
            int w = 0;
            while (!reaped && (w = waiting_for_input()) == 0 && now() < deadline)
                pump(now() + 0.002 < deadline ? now() + 0.002 : deadline, false);
            if (w == 1)
                trace("idle: waiting for input");
            else if (reaped)
                snprintf(note, sizeof note, "ptydrive: step %d, idle: the command ended first", nstep);
            else {
                if (w < 0)
                    snprintf(note, sizeof note, "ptydrive: step %d, idle: cannot read /proc/%d/syscall", nstep,
                             (int)child);
                else
                    snprintf(note, sizeof note, "ptydrive: step %d, idle: not waiting for input within %g s",
                             nstep, bound);
                kill_now = true;
            }
        }
        if (note[0]) {
            fprintf(stderr, "%s; the output so far:\n%s\n", note, text ? text : "");
            rc = 1;
        }
        free(arg);
    }

    /* the end: the command closes the terminal (it has quit), then is reaped */
    if (!kill_now) {
        double deadline = now() + bound;
        int r;
        while ((r = pump(deadline, true)) == 1)
            ;
        if (r == -1 && rc == 0) {
            snprintf(note, sizeof note, "ptydrive: the command did not end within %g s after the last step",
                     bound);
            fprintf(stderr, "%s; the output so far:\n%s\n", note, text ? text : "");
            rc = 1;
        }
    }
    kill_child(); /* after a bound passed; nothing when it has ended */
    trace("done");
    close(master);

    if (text)
        fputs(text, stdout);
    if (len > 0 && text[len - 1] != '\n')
        fputs("\n", stdout);
    if (note[0])
        printf("%s\n", note);
    if (WIFEXITED(status))
        printf("status=exited %d\n", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("status=signaled %d\n", WTERMSIG(status));
    else
        printf("status=unknown %#x\n", status);
    return rc;
}
