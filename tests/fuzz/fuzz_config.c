/* SPDX-License-Identifier: MIT */
/* libFuzzer target for config/: every variable's parser. It must never
 * crash, and never accept what the contract refuses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "me_config.h"

static int lines;
static void count(void *ctx, const char *line)
{
    (void)ctx;
    if (strncmp(line, "multiexit: ", 11) != 0 || strchr(line, '\n'))
        abort(); /* every diagnostic is one line starting with "multiexit: " */
    lines++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (size_t i = 0; i < size; i++)
        if (s[i] == '\n')
            s[i] = ' '; /* environment values may hold anything but NUL */

    lines = 0;
    me_sigmask m = me_parse_signals(s, count, NULL);
    const me_sigmask refused = ME_SIGBIT(9) | ME_SIGBIT(19) | ME_SIGBIT(32) | ME_SIGBIT(33);
    if (m & refused)
        abort(); /* KILL, STOP and libc's own signals are never managed */

    /* each accepted token, parsed alone, is a catchable signal in the set */
    const char *why;
    for (char *p = s; *p;) {
        while (*p == ',' || *p == ' ' || *p == '\t')
            p++;
        char *end = p;
        while (*end && *end != ',' && *end != ' ' && *end != '\t')
            end++;
        if (end > p) {
            int sig = me_parse_signal_token(p, (size_t)(end - p), &why);
            if (sig != -1 && (sig < 1 || sig > 64 || !(m & ME_SIGBIT(sig))))
                abort();
            if (sig == -1 && (!why || !*why))
                abort();
        }
        p = end;
    }

    uint32_t t = me_parse_timeout(s, count, NULL);
    if (t > ME_MAX_TIMEOUT_MS)
        abort();
    me_parse_inherit(s, count, NULL);
    me_parse_child_sigint(s, count, NULL);
    me_parse_verbose(s);
    char name[32];
    me_signal_name((int)(size % 80) - 8, name, sizeof name);
    if (strlen(name) >= sizeof name)
        abort();
    free(s);
    return 0;
}
