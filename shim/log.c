/* SPDX-License-Identifier: MIT */
/* Messages on stderr, formatted by hand: usable from a signal handler (no
 * stdio, no allocation), one write(2) per line so lines do not interleave. */
#include "log.h"

#include "../config/me_config.h"
#include "sys.h"

#include <stdarg.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static void put(char *buf, size_t *len, size_t cap, const char *s, size_t n)
{
    while (n-- > 0 && *len < cap)
        buf[(*len)++] = *s++;
}

static void put_num(char *buf, size_t *len, size_t cap, unsigned long v, bool neg)
{
    char tmp[24];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg)
        tmp[n++] = '-';
    while (n > 0)
        put(buf, len, cap, &tmp[--n], 1);
}

void me_log(const char *fmt, ...)
{
    char buf[512];
    size_t len = 0, cap = sizeof buf - 1;
    va_list ap;
    put(buf, &len, cap, "multiexit: ", 11);
    va_start(ap, fmt);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%' || !p[1]) {
            put(buf, &len, cap, p, 1);
            continue;
        }
        switch (*++p) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            put(buf, &len, cap, s, strlen(s));
            break;
        }
        case 'd': {
            int v = va_arg(ap, int);
            put_num(buf, &len, cap, v < 0 ? -(unsigned long)v : (unsigned long)v, v < 0);
            break;
        }
        case 'u':
            put_num(buf, &len, cap, va_arg(ap, unsigned), false);
            break;
        case 'l': {
            long v = va_arg(ap, long);
            if (p[1] == 'd')
                p++;
            put_num(buf, &len, cap, v < 0 ? -(unsigned long)v : (unsigned long)v, v < 0);
            break;
        }
        case 'S': {
            char name[24];
            me_signal_name(va_arg(ap, int), name, sizeof name);
            put(buf, &len, cap, name, strlen(name));
            break;
        }
        default:
            put(buf, &len, cap, p, 1);
        }
    }
    va_end(ap);
    buf[len++] = '\n';
    me_sys(SYS_write, 2, buf, len);
}

void me_diag_stderr(void *ctx, const char *line)
{
    struct iovec iov[2] = {{(void *)line, strlen(line)}, {"\n", 1}};
    (void)ctx;
    me_sys(SYS_writev, 2, iov, 2); /* one system call: the line stays whole */
}

/* "active in PID (signals INT,TERM, timeout 2.5s)": MULTIEXIT_VERBOSE's line
 * when a process image starts, so a service's log shows it is covered. */
void me_log_active(int pid, me_sigmask signals, unsigned timeout_ms)
{
    char list[256], secs[32];
    size_t len = 0, cap = sizeof secs - 1;
    me_signal_list(signals, list, sizeof list);
    if (!timeout_ms) {
        put(secs, &len, cap, "none", 4);
    } else {
        put_num(secs, &len, cap, timeout_ms / 1000, false);
        unsigned frac = timeout_ms % 1000, digits = 3;
        for (; frac && frac % 10 == 0; frac /= 10)
            digits--;
        if (frac) {
            char f[4] = {'0', '0', '0', '\0'};
            for (unsigned d = digits; d-- > 0; frac /= 10)
                f[d] = (char)('0' + frac % 10);
            put(secs, &len, cap, ".", 1);
            put(secs, &len, cap, f, digits);
        }
        put(secs, &len, cap, "s", 1);
    }
    secs[len] = '\0';
    me_log("active in %d (signals %s, timeout %s)", pid, list, secs);
}
