/* SPDX-License-Identifier: MIT */
/* multiexit status [--json] PID...: for each running process, from /proc
 * only (nothing is loaded, nothing is attached to):
 *   the library copies mapped (/proc/PID/maps) and their versions (the
 *     real file name: libmultiexit.so.0.1.0);
 *   left alone as privileged: AT_SECURE in /proc/PID/auxv, the library's
 *     own rule (shim/init.c, do_init: AT_SECURE, nothing else is read);
 *   the settings the environment of its exec gives it (/proc/PID/environ,
 *     parsed by config/'s functions as the library parses them, so a bad
 *     value gets the library's own line);
 *   which managed signals the kernel delivers to a handler (SigCgt in
 *     /proc/PID/status), which the program ignores (SigIgn), and which not.
 * What /proc does not let this user read (another user's process) is said
 * so, and the process counts as not covered: nothing is guessed. */
#include "status.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "me_config.h"

bool me_version_from_name(const char *path, char *buf, size_t n)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    static const char prefix[] = "libmultiexit.so.";
    if (strncmp(base, prefix, sizeof prefix - 1) != 0)
        return false;
    const char *v = base + sizeof prefix - 1;
    size_t len = strspn(v, "0123456789.");
    if (len == 0 || v[len] != '\0' || !memchr(v, '.', len))
        return false; /* libmultiexit.so.0 alone: no full version */
    snprintf(buf, n, "%s", v);
    return true;
}

/* ---------------- reading /proc ---------------- */

/* The whole of /proc/PID/NAME (NUL-terminated, *len without it), or NULL
 * with errno set. */
static char *slurp(pid_t pid, const char *name, size_t *len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (n + 1 >= cap) {
            char *bigger = realloc(buf, cap *= 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
        }
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) { /* EACCES comes at read for some files */
            int err = errno;
            free(buf);
            close(fd);
            errno = err;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (!buf) {
        errno = ENOMEM;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

#define MAX_COPIES 8

struct copy {
    char path[PATH_MAX];
    char version[64]; /* "" when the file name does not say */
    bool deleted;     /* replaced on disk since it was mapped */
};

enum state { COVERED = 0, NOT_COVERED = 1, LEFT_ALONE = 2, UNKNOWN = 3 };

struct report {
    pid_t pid;
    enum state state;
    char why[PATH_MAX + 128]; /* for UNKNOWN and NOT_COVERED: the cause */
    char exe[PATH_MAX];       /* "" if unreadable */
    char comm[64];
    struct copy copies[MAX_COPIES];
    int ncopies;
    int secure; /* AT_SECURE: 0, 1, or -1 unknown */
    bool settings_known;
    struct me_config cfg;
    char bad[8][256]; /* the library's own lines for bad values */
    int nbad;
    me_sigmask caught, ignored, blocked; /* of the managed signals */
    bool sig_known;
};

static void cannot(struct report *r, const char *what, int err)
{
    r->state = UNKNOWN;
    snprintf(r->why, sizeof r->why, "cannot read /proc/%d/%s: %s%s", (int)r->pid, what,
             strerror(err),
             err == EACCES || err == EPERM
                 ? " (another user's process: ask as that user or as root)"
                 : err == ENOENT || err == ESRCH ? " (no such process)" : "");
}

/* Library copies: mapped files named libmultiexit.so.* (one line per
 * segment; each file once). */
static bool read_maps(struct report *r)
{
    char *maps = slurp(r->pid, "maps", NULL);
    if (!maps) {
        cannot(r, "maps", errno);
        return false;
    }
    for (char *line = maps, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char *path = strchr(line, '/');
        if (!path)
            continue;
        const char *base = strrchr(path, '/') + 1;
        if (strncmp(base, "libmultiexit.so", 15) != 0)
            continue;
        static const char del[] = " (deleted)";
        size_t len = strlen(path);
        bool deleted = len > sizeof del - 1 && strcmp(path + len - (sizeof del - 1), del) == 0;
        if (deleted)
            path[len - (sizeof del - 1)] = '\0';
        int i;
        for (i = 0; i < r->ncopies; i++)
            if (strcmp(r->copies[i].path, path) == 0)
                break;
        if (i < r->ncopies || r->ncopies == MAX_COPIES)
            continue;
        struct copy *c = &r->copies[r->ncopies++];
        snprintf(c->path, sizeof c->path, "%s", path);
        c->deleted = deleted;
        if (!me_version_from_name(path, c->version, sizeof c->version))
            c->version[0] = '\0';
    }
    free(maps);
    return true;
}

static bool read_auxv(struct report *r)
{
    size_t len;
    char *aux = slurp(r->pid, "auxv", &len);
    if (!aux) {
        cannot(r, "auxv", errno);
        return false;
    }
    r->secure = -1;
    /* this command's own word size: a process of another ELF class has no
     * library of this machine's anyway */
    for (size_t off = 0; off + sizeof(Elf64_auxv_t) <= len; off += sizeof(Elf64_auxv_t)) {
        Elf64_auxv_t a;
        memcpy(&a, aux + off, sizeof a);
        if (a.a_type == AT_NULL)
            break;
        if (a.a_type == AT_SECURE)
            r->secure = a.a_un.a_val != 0;
    }
    free(aux);
    if (r->secure < 0) {
        r->state = UNKNOWN;
        snprintf(r->why, sizeof r->why, "/proc/%d/auxv has no AT_SECURE entry", (int)r->pid);
        return false;
    }
    return true;
}

/* The environment as the library sees it (shim/init.c, collect_vars): the
 * first 16 MULTIEXIT_ entries, the first of each name. */
static const char *env_vars[16];
static int env_nvars;

static const char *env_get(const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; i < env_nvars; i++)
        if (strncmp(env_vars[i], name, n) == 0 && env_vars[i][n] == '=')
            return env_vars[i] + n + 1;
    return NULL;
}

static void collect_bad(void *ctx, const char *line)
{
    struct report *r = ctx;
    if (r->nbad < (int)(sizeof r->bad / sizeof r->bad[0]))
        snprintf(r->bad[r->nbad++], sizeof r->bad[0], "%s", line);
}

static bool read_environ(struct report *r)
{
    size_t len;
    char *env = slurp(r->pid, "environ", &len);
    if (!env) {
        cannot(r, "environ", errno);
        return false;
    }
    env_nvars = 0;
    for (size_t off = 0; off < len && env_nvars < 16; off += strlen(env + off) + 1)
        if (strncmp(env + off, "MULTIEXIT_", 10) == 0)
            env_vars[env_nvars++] = env + off;
    me_config_load(&r->cfg, env_nvars ? env_get : NULL, collect_bad, r);
    r->settings_known = true;
    free(env);
    return true;
}

static me_sigmask hex_field(const char *status, const char *name, bool *found)
{
    const char *p = strstr(status, name);
    if (!p) {
        *found = false;
        return 0;
    }
    return (me_sigmask)strtoull(p + strlen(name), NULL, 16);
}

static bool read_status(struct report *r)
{
    char *st = slurp(r->pid, "status", NULL);
    if (!st) {
        cannot(r, "status", errno);
        return false;
    }
    bool found = true;
    me_sigmask managed = r->cfg.signals;
    r->caught = hex_field(st, "\nSigCgt:\t", &found) & managed;
    r->ignored = hex_field(st, "\nSigIgn:\t", &found) & managed;
    r->blocked = hex_field(st, "\nSigBlk:\t", &found) & managed;
    r->sig_known = found;
    free(st);
    return true;
}

/* The process's name and whether it has exited: /proc/PID/status is
 * readable by every user. False for a zombie. */
static bool read_name(struct report *r)
{
    char *st = slurp(r->pid, "status", NULL);
    const char *name = st ? strstr(st, "Name:\t") : NULL;
    if (name)
        snprintf(r->comm, sizeof r->comm, "%.*s", (int)strcspn(name + 6, "\n"), name + 6);
    const char *state = st ? strstr(st, "\nState:\t") : NULL;
    bool dead = state && (state[8] == 'Z' || state[8] == 'X');
    free(st);
    if (dead) {
        r->state = UNKNOWN;
        snprintf(r->why, sizeof r->why, "it has exited (a zombie, not yet reaped)");
    }
    return !dead;
}

static void examine(struct report *r)
{
    me_config_defaults(&r->cfg);
    if (!read_name(r))
        return;
    ssize_t n = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)r->pid);
    n = readlink(path, r->exe, sizeof r->exe - 1);
    r->exe[n > 0 ? n : 0] = '\0';
    if (!read_maps(r))
        return;
    if (r->ncopies == 0) {
        r->state = NOT_COVERED;
        snprintf(r->why, sizeof r->why, "libmultiexit is not loaded");
        return;
    }
    if (!read_auxv(r))
        return;
    if (r->secure) {
        r->state = LEFT_ALONE;
        return;
    }
    if (!read_environ(r) || !read_status(r))
        return;
    if (!r->sig_known) {
        r->state = UNKNOWN;
        snprintf(r->why, sizeof r->why, "/proc/%d/status has no SigCgt line", (int)r->pid);
        return;
    }
    /* a managed signal neither caught nor ignored kills without cleanup */
    me_sigmask lost = r->cfg.signals & ~r->caught & ~r->ignored;
    r->state = lost ? NOT_COVERED : COVERED;
    if (lost) {
        char list[ME_MAXSIG * 16];
        me_signal_list(lost, list, sizeof list);
        snprintf(r->why, sizeof r->why, "%s managed but not caught (it kills without cleanup)",
                 list);
    }
}

/* ---------------- output ---------------- */

static void signal_list(FILE *out, me_sigmask m, bool json)
{
    if (!json) {
        char list[ME_MAXSIG * 16];
        me_signal_list(m, list, sizeof list);
        fputs(list, out);
        return;
    }
    bool any = false;
    fputc('[', out);
    for (int sig = 1; sig <= ME_MAXSIG; sig++) {
        if (!(m & ME_SIGBIT(sig)))
            continue;
        char name[16];
        me_signal_name(sig, name, sizeof name);
        fprintf(out, "%s\"%s\"", any ? "," : "", name);
        any = true;
    }
    fputc(']', out);
}

static void json_str(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

static const char *state_name(enum state s)
{
    return s == COVERED ? "covered" : s == NOT_COVERED ? "not covered"
                                   : s == LEFT_ALONE  ? "left alone"
                                                      : "cannot tell";
}

static int exit_code(enum state s) { return s == UNKNOWN ? 1 : (int)s; }

static void timeout_text(char *buf, size_t n, uint32_t ms)
{
    if (ms == 0)
        snprintf(buf, n, "none");
    else if (ms % 1000 == 0)
        snprintf(buf, n, "%u s", (unsigned)(ms / 1000));
    else if (ms % 100 == 0)
        snprintf(buf, n, "%u.%u s", (unsigned)(ms / 1000), (unsigned)(ms % 1000 / 100));
    else if (ms % 10 == 0)
        snprintf(buf, n, "%u.%02u s", (unsigned)(ms / 1000), (unsigned)(ms % 1000 / 10));
    else
        snprintf(buf, n, "%u.%03u s", (unsigned)(ms / 1000), (unsigned)(ms % 1000));
}

static void print_text(const struct report *r)
{
    printf("%d (%s): %s", (int)r->pid, *r->exe ? r->exe : *r->comm ? r->comm : "?",
           state_name(r->state));
    if (r->state == UNKNOWN || r->state == NOT_COVERED)
        printf(": %s", r->why);
    if (r->state == LEFT_ALONE)
        printf(": privileged (AT_SECURE): the library is loaded but does nothing");
    putchar('\n');
    for (int i = 0; i < r->ncopies; i++)
        printf("  library: %s%s, version %s\n", r->copies[i].path,
               r->copies[i].deleted ? " (deleted)" : "",
               *r->copies[i].version ? r->copies[i].version : "unknown (its file name does not say)");
    if (r->ncopies > 1)
        printf("  %d copies loaded: the one loaded first does the work, the others pass every "
               "call through\n", r->ncopies);
    if (!r->settings_known)
        return;
    char t[32];
    timeout_text(t, sizeof t, r->cfg.timeout_ms);
    printf("  settings: signals ");
    signal_list(stdout, r->cfg.signals, false);
    printf(", timeout %s, inherit %s, chain %s\n", t,
           r->cfg.inherit == ME_INHERIT_SHARED ? "shared" : "private", r->cfg.chain ? "on" : "off");
    for (int i = 0; i < r->nbad; i++)
        printf("  bad value: %s\n", r->bad[i]);
    if (!r->sig_known)
        return;
    printf("  managed signals caught (they reach the dispatcher): ");
    signal_list(stdout, r->caught, false);
    putchar('\n');
    if (r->ignored) {
        printf("  ignored by the program: ");
        signal_list(stdout, r->ignored, false);
        putchar('\n');
    }
    me_sigmask lost = r->cfg.signals & ~r->caught & ~r->ignored;
    if (lost) {
        printf("  not caught (they kill without cleanup): ");
        signal_list(stdout, lost, false);
        putchar('\n');
    }
}

static void print_json(const struct report *r, bool first)
{
    printf("%s{\"pid\":%d,\"status\":%d,\"state\":\"%s\",", first ? "" : ",\n", (int)r->pid,
           exit_code(r->state), state_name(r->state));
    printf("\"reason\":");
    if (r->state == UNKNOWN || r->state == NOT_COVERED)
        json_str(stdout, r->why);
    else if (r->state == LEFT_ALONE)
        json_str(stdout, "privileged (AT_SECURE)");
    else
        printf("null");
    printf(",\"exe\":");
    if (*r->exe)
        json_str(stdout, r->exe);
    else
        printf("null");
    printf(",\"libraries\":[");
    for (int i = 0; i < r->ncopies; i++) {
        printf("%s{\"path\":", i ? "," : "");
        json_str(stdout, r->copies[i].path);
        printf(",\"version\":");
        if (*r->copies[i].version)
            json_str(stdout, r->copies[i].version);
        else
            printf("null");
        printf(",\"deleted\":%s}", r->copies[i].deleted ? "true" : "false");
    }
    printf("],\"at_secure\":%s", r->secure < 0 || r->ncopies == 0 ? "null"
                                : r->secure                      ? "true"
                                                                 : "false");
    printf(",\"settings\":");
    if (r->settings_known) {
        printf("{\"signals\":");
        signal_list(stdout, r->cfg.signals, true);
        printf(",\"timeout_ms\":%u,\"inherit\":\"%s\",\"chain\":%s,\"bad_values\":[",
               (unsigned)r->cfg.timeout_ms,
               r->cfg.inherit == ME_INHERIT_SHARED ? "shared" : "private",
               r->cfg.chain ? "true" : "false");
        for (int i = 0; i < r->nbad; i++) {
            if (i)
                putchar(',');
            json_str(stdout, r->bad[i]);
        }
        printf("]}");
    } else {
        printf("null");
    }
    if (r->settings_known && r->sig_known) {
        printf(",\"caught\":");
        signal_list(stdout, r->caught, true);
        printf(",\"ignored\":");
        signal_list(stdout, r->ignored, true);
        printf(",\"not_caught\":");
        signal_list(stdout, r->cfg.signals & ~r->caught & ~r->ignored, true);
    } else {
        printf(",\"caught\":null,\"ignored\":null,\"not_caught\":null");
    }
    putchar('}');
}

int me_status_main(int argc, char **argv)
{
    bool json = false, options = true;
    int npids = 0;
    pid_t *pids = calloc((size_t)argc + 1, sizeof *pids);
    if (!pids) {
        fprintf(stderr, "multiexit: status: out of memory\n");
        return 125;
    }
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (options && strcmp(a, "--json") == 0) {
            json = true;
            continue;
        }
        if (options && strcmp(a, "--") == 0) {
            options = false;
            continue;
        }
        char *end;
        errno = 0;
        long v = strtol(a, &end, 10);
        if (*a < '0' || *a > '9' || *end || errno || v <= 0 || v > INT_MAX) {
            fprintf(stderr, "multiexit: status: '%s' is not a process id (see multiexit --help)\n",
                    a);
            free(pids);
            return 125;
        }
        pids[npids++] = (pid_t)v;
    }
    if (npids == 0) {
        fprintf(stderr, "multiexit: status: no process id given (see multiexit --help)\n");
        free(pids);
        return 125;
    }
    /* several: the worst, not covered (or not examinable) before left alone
     * before covered */
    int worst = 0;
    if (json)
        putchar('[');
    for (int i = 0; i < npids; i++) {
        struct report *r = calloc(1, sizeof *r);
        if (!r) {
            fprintf(stderr, "multiexit: status: out of memory\n");
            free(pids);
            return 125;
        }
        r->pid = pids[i];
        r->secure = -1;
        examine(r);
        if (json)
            print_json(r, i == 0);
        else
            print_text(r);
        int code = exit_code(r->state);
        if (code == 1 || (code == 2 && worst == 0))
            worst = code;
        free(r);
    }
    if (json)
        puts("]");
    free(pids);
    return worst;
}
