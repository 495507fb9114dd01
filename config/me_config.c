/* SPDX-License-Identifier: MIT */
#include "me_config.h"

#include <signal.h>
#include <string.h>

/* The C library reserves 32 and 33 for thread cancellation and setxid. */
#define ME_RT_FIRST 34
#define ME_DEFAULT_SIGNALS (ME_SIGBIT(SIGTERM) | ME_SIGBIT(SIGINT))

#define ME_VAR_NAME(id, text) static const char id[] = text
ME_VAR_NAME(var_signals, "MULTIEXIT_SIGNALS");
ME_VAR_NAME(var_timeout, "MULTIEXIT_TIMEOUT");
ME_VAR_NAME(var_verbose, "MULTIEXIT_VERBOSE");
ME_VAR_NAME(var_inherit, "MULTIEXIT_INHERIT");
ME_VAR_NAME(var_child_sigint, "MULTIEXIT_CHILD_SIGINT");
ME_VAR_NAME(var_chain, "MULTIEXIT_CHAIN");
ME_VAR_NAME(var_python, "MULTIEXIT_PYTHON");

/* Names inline, not pointers: a pointer table costs a relocation per entry
 * in every process the shim is loaded into. */
static const struct {
    char name[7];
    unsigned char sig;
} names[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},   {"ILL", SIGILL},
    {"TRAP", SIGTRAP}, {"ABRT", SIGABRT},     {"IOT", SIGIOT},     {"BUS", SIGBUS},
    {"FPE", SIGFPE},   {"KILL", SIGKILL},     {"USR1", SIGUSR1},   {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},     {"ALRM", SIGALRM},   {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CLD", SIGCHLD},    {"CONT", SIGCONT},
    {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},   {"TTOU", SIGTTOU},
    {"URG", SIGURG},   {"XCPU", SIGXCPU},     {"XFSZ", SIGXFSZ},   {"VTALRM", SIGVTALRM},
    {"PROF", SIGPROF}, {"WINCH", SIGWINCH},   {"IO", SIGIO},       {"POLL", SIGPOLL},
    {"PWR", SIGPWR},   {"SYS", SIGSYS},
};

static char upper(char c)
{
    if (c >= 'a' && c <= 'z')
        c = (char)(c - ('a' - 'A'));
    return c;
}

static bool eq_nocase(const char *s, size_t len, const char *lit)
{
    size_t i;
    for (i = 0; i < len; i++)
        if (lit[i] == '\0' || upper(s[i]) != lit[i])
            return false;
    return lit[i] == '\0';
}

/* Parses a decimal number filling the whole of [s, s+len); -1 if not one. */
static long parse_num(const char *s, size_t len)
{
    long v = 0;
    if (len == 0 || len > 9)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int check_catchable(int sig, const char **why)
{
    if (sig < 1 || sig > ME_MAXSIG) {
        *why = "no such signal (valid: 1-64)";
        return -1;
    }
    if (sig == SIGKILL || sig == SIGSTOP) {
        *why = "cannot be caught";
        return -1;
    }
    if (sig == 32 || sig == 33) {
        *why = "reserved by the C library";
        return -1;
    }
    return sig;
}

int me_parse_signal_token(const char *tok, size_t len, const char **why)
{
    *why = "unknown signal";
    if (len >= 3 && eq_nocase(tok, 3, "SIG")) {
        tok += 3;
        len -= 3;
    }
    if (len == 0)
        return -1;
    if (tok[0] >= '0' && tok[0] <= '9') {
        long n = parse_num(tok, len);
        if (n < 0) {
            *why = (len > 9) ? "no such signal (valid: 1-64)" : "unknown signal";
            /* all digits but too long is out of range, anything else unknown */
            for (size_t i = 0; i < len; i++)
                if (tok[i] < '0' || tok[i] > '9')
                    *why = "unknown signal";
            return -1;
        }
        return check_catchable((int)n, why);
    }
    if (len >= 5 && (eq_nocase(tok, 5, "RTMIN") || eq_nocase(tok, 5, "RTMAX"))) {
        bool is_min = upper(tok[4]) == 'N';
        int base = is_min ? ME_RT_FIRST : ME_MAXSIG;
        if (len == 5)
            return base;
        char op = tok[5];
        long off = parse_num(tok + 6, len - 6);
        if ((is_min && op != '+') || (!is_min && op != '-') || off < 0) {
            *why = is_min ? "expected RTMIN+N" : "expected RTMAX-N";
            return -1;
        }
        long sig = is_min ? base + off : base - off;
        if (sig < ME_RT_FIRST || sig > ME_MAXSIG) {
            *why = "outside the real-time range (RTMIN=34..RTMAX=64)";
            return -1;
        }
        return (int)sig;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (eq_nocase(tok, len, names[i].name))
            return check_catchable(names[i].sig, why);
    return -1;
}

/* Appends src to dst (capacity cap), always NUL-terminated. */
static void append(char *dst, size_t cap, const char *src, size_t srclen)
{
    size_t cur = strlen(dst);
    if (cur + 1 >= cap)
        return;
    if (srclen > cap - 1 - cur)
        srclen = cap - 1 - cur;
    memmove(dst + cur, src, srclen); /* no memcpy@GLIBC_2.14 in the shim */
    dst[cur + srclen] = '\0';
}

static void report(me_diag_fn diag, void *ctx, const char *var, const char *tok, size_t len,
                   const char *why)
{
    char line[256] = "multiexit: ";
    if (!diag)
        return;
    append(line, sizeof line, var, strlen(var));
    append(line, sizeof line, ": ignoring '", 12);
    if (len > 40) {
        append(line, sizeof line, tok, 40);
        append(line, sizeof line, "...", 3);
    } else {
        append(line, sizeof line, tok, len);
    }
    append(line, sizeof line, "': ", 3);
    append(line, sizeof line, why, strlen(why));
    diag(ctx, line);
}

static bool is_sep(char c) { return c == ',' || c == ' ' || c == '\t' || c == '\n'; }

me_sigmask me_parse_signals(const char *value, me_diag_fn diag, void *ctx)
{
    const char *var = var_signals;
    me_sigmask set = 0;
    size_t tokens = 0, nones = 0;
    const char *p = value, *none = NULL;

    if (!value)
        return ME_DEFAULT_SIGNALS;
    while (*p) {
        while (*p && is_sep(*p))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !is_sep(*p))
            p++;
        size_t len = (size_t)(p - start);
        tokens++;
        if (eq_nocase(start, len, "NONE")) {
            if (!none)
                none = start;
            nones++;
            continue;
        }
        const char *why;
        int sig = me_parse_signal_token(start, len, &why);
        if (sig < 1 || sig > ME_MAXSIG)
            report(diag, ctx, var, start, len, why);
        else
            set |= ME_SIGBIT(sig);
    }
    /* "none" beside signals says two things: refused, once, and the
     * signals apply (as any other refused token). */
    if (none && nones < tokens)
        report(diag, ctx, var, none, 4, "cannot be combined with signals");
    /* Blank means unset: the default. "none" alone means nothing managed. */
    return tokens == 0 ? ME_DEFAULT_SIGNALS : set;
}

uint32_t me_parse_timeout(const char *value, me_diag_fn diag, void *ctx)
{
    const char *var = var_timeout;
    const char *p = value;
    uint64_t ms = 0;
    int digits = 0, frac = -1;

    if (!value || !*value)
        return ME_DEFAULT_TIMEOUT_MS;
    for (; *p; p++) {
        if (*p == '.' && frac < 0 && digits > 0) {
            frac = 0;
            continue;
        }
        if (*p < '0' || *p > '9' || frac >= 3)
            goto bad;
        if (frac >= 0)
            frac++;
        digits++;
        ms = ms * 10 + (uint64_t)(*p - '0');
        if (ms > (uint64_t)ME_MAX_TIMEOUT_MS * 1000)
            goto bad;
    }
    if (digits == 0 || frac == 0)
        goto bad;
    for (int f = frac < 0 ? 0 : frac; f < 3; f++)
        ms *= 10;
    if (ms > ME_MAX_TIMEOUT_MS)
        goto bad;
    return (uint32_t)ms;
bad:
    report(diag, ctx, var, value, strlen(value),
           "expected seconds from 0 (no limit) to 86400, e.g. 30 or 2.5; using 30");
    return ME_DEFAULT_TIMEOUT_MS;
}

bool me_parse_verbose(const char *value)
{
    if (!value || !*value)
        return false;
    size_t n = strlen(value);
    return !(eq_nocase(value, n, "0") || eq_nocase(value, n, "NO") ||
             eq_nocase(value, n, "FALSE") || eq_nocase(value, n, "OFF"));
}

enum me_inherit me_parse_inherit(const char *value, me_diag_fn diag, void *ctx)
{
    if (!value || !*value)
        return ME_INHERIT_PRIVATE;
    size_t n = strlen(value);
    if (eq_nocase(value, n, "PRIVATE"))
        return ME_INHERIT_PRIVATE;
    if (eq_nocase(value, n, "SHARED"))
        return ME_INHERIT_SHARED;
    report(diag, ctx, var_inherit, value, n, "expected private or shared; using private");
    return ME_INHERIT_PRIVATE;
}

bool me_parse_child_sigint(const char *value, me_diag_fn diag, void *ctx)
{
    if (!value || !*value)
        return false;
    size_t n = strlen(value);
    if (eq_nocase(value, n, "DEFAULT"))
        return false;
    if (eq_nocase(value, n, "IGNORE"))
        return true;
    report(diag, ctx, var_child_sigint, value, n,
           "expected default or ignore; using default");
    return false;
}

/* on/off, also 1/0, yes/no, true/false; anything else: on, with a line */
static bool parse_on_off(const char *var, const char *value, me_diag_fn diag, void *ctx)
{
    if (!value || !*value)
        return true;
    size_t n = strlen(value);
    static const char on[][5] = {"ON", "1", "YES", "TRUE"}, off[][6] = {"OFF", "0", "NO", "FALSE"};
    for (size_t i = 0; i < sizeof on / sizeof on[0]; i++) {
        if (eq_nocase(value, n, on[i]))
            return true;
        if (eq_nocase(value, n, off[i]))
            return false;
    }
    report(diag, ctx, var, value, n, "expected on or off; using on");
    return true;
}

bool me_parse_chain(const char *value, me_diag_fn diag, void *ctx)
{
    return parse_on_off(var_chain, value, diag, ctx);
}

bool me_parse_python(const char *value, me_diag_fn diag, void *ctx)
{
    return parse_on_off(var_python, value, diag, ctx);
}

void me_config_defaults(struct me_config *cfg)
{
    static const struct me_config defaults = ME_CONFIG_DEFAULTS;
    *cfg = defaults;
}

void me_config_load(struct me_config *cfg, me_getenv_fn get, me_diag_fn diag, void *ctx)
{
    me_config_defaults(cfg);
    if (!get)
        return;
    /* A parser given NULL returns the default: called only for a variable
     * that is set, so that the parsers' code is not read at every start
     * (shim/layout.ld). */
    const char *v;
    if ((v = get(var_signals)))
        cfg->signals = me_parse_signals(v, diag, ctx);
    if ((v = get(var_timeout)))
        cfg->timeout_ms = me_parse_timeout(v, diag, ctx);
    if ((v = get(var_verbose)))
        cfg->verbose = me_parse_verbose(v);
    if ((v = get(var_inherit)))
        cfg->inherit = me_parse_inherit(v, diag, ctx);
    if ((v = get(var_child_sigint)))
        cfg->child_ignore_int = me_parse_child_sigint(v, diag, ctx);
    if ((v = get(var_chain)))
        cfg->chain = me_parse_chain(v, diag, ctx);
    if ((v = get(var_python)))
        cfg->python = me_parse_python(v, diag, ctx);
}

static void off_digits(char *buf, size_t n, int v)
{
    char tmp[16];
    size_t len = 0;
    unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
    if (v < 0)
        append(buf, n, "-", 1);
    do {
        tmp[len++] = (char)('0' + u % 10);
        u /= 10;
    } while (u > 0 && len < sizeof tmp);
    while (len > 0)
        append(buf, n, &tmp[--len], 1);
}

void me_signal_name(int sig, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].sig == sig) {
            /* first spelling in the table wins (ABRT before IOT, CHLD before CLD) */
            append(buf, n, "SIG", 3);
            append(buf, n, names[i].name, strlen(names[i].name));
            return;
        }
    if (sig < ME_RT_FIRST || sig > ME_MAXSIG) {
        append(buf, n, "signal ", 7);
        off_digits(buf, n, sig);
        return;
    }
    int base = ME_RT_FIRST, off = sig - base;
    const char *pre = "SIGRTMIN+";
    if (sig > (ME_RT_FIRST + ME_MAXSIG) / 2) {
        pre = "SIGRTMAX-";
        off = ME_MAXSIG - sig;
    }
    if (off == 0) {
        append(buf, n, pre, 8);
        return;
    }
    append(buf, n, pre, 9);
    off_digits(buf, n, off);
}

void me_signal_list(me_sigmask signals, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    for (me_sigmask m = signals; m; m &= m - 1) {
        char name[24];
        me_signal_name(__builtin_ctzll(m) + 1, name, sizeof name);
        if (buf[0])
            append(buf, n, ",", 1);
        append(buf, n, name, strlen(name));
    }
    if (!buf[0])
        append(buf, n, "none", 4);
}
