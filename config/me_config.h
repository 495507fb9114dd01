/* SPDX-License-Identifier: MIT */
/* Environment parsing and validation: pure functions, no allocation, no I/O.
 * Diagnostics go through a callback so unit tests can capture them and the
 * shim can write them to stderr with write(2). */
#ifndef ME_CONFIG_H
#define ME_CONFIG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bit (sig - 1) set for each managed signal, signals 1..64. */
typedef uint64_t me_sigmask;
#define ME_SIGBIT(s) ((me_sigmask)1 << ((s) - 1))
#define ME_MAXSIG 64

#define ME_DEFAULT_TIMEOUT_MS 30000u
#define ME_MAX_TIMEOUT_MS 86400000u /* one day */

enum me_inherit { ME_INHERIT_PRIVATE = 0, ME_INHERIT_SHARED = 1 };

struct me_config {
    me_sigmask signals;    /* MULTIEXIT_SIGNALS */
    uint32_t timeout_ms;   /* MULTIEXIT_TIMEOUT, 0 = no limit */
    bool verbose;          /* MULTIEXIT_VERBOSE */
    enum me_inherit inherit; /* MULTIEXIT_INHERIT */
    bool child_ignore_int; /* MULTIEXIT_CHILD_SIGINT=ignore */
    bool chain;            /* MULTIEXIT_CHAIN: handlers of different components chained */
    bool python;           /* MULTIEXIT_PYTHON: CPython unwinds on a managed signal */
};

/* Receives one complete diagnostic line, without the trailing newline,
 * starting with "multiexit: ". */
typedef void (*me_diag_fn)(void *ctx, const char *line);
/* Looks a variable up (secure_getenv in the shim, a table in tests). */
typedef const char *(*me_getenv_fn)(const char *name);

/* The defaults, as an initializer: a process whose environment sets no
 * MULTIEXIT_ variable runs none of the parsers. */
#define ME_CONFIG_DEFAULTS                                                                     \
    {ME_SIGBIT(SIGTERM) | ME_SIGBIT(SIGINT), ME_DEFAULT_TIMEOUT_MS, false, ME_INHERIT_PRIVATE,   \
     false, true, true}

void me_config_defaults(struct me_config *cfg);
void me_config_load(struct me_config *cfg, me_getenv_fn get, me_diag_fn diag, void *ctx);

/* One token ("TERM", "sigterm", "15", "RTMIN+2"): the signal number, or -1
 * with *why set to a short reason. */
int me_parse_signal_token(const char *tok, size_t len, const char **why);
/* A whole MULTIEXIT_SIGNALS value; NULL or blank means the default. */
me_sigmask me_parse_signals(const char *value, me_diag_fn diag, void *ctx);
/* Seconds, integer or with up to three decimals; returns milliseconds. */
uint32_t me_parse_timeout(const char *value, me_diag_fn diag, void *ctx);
bool me_parse_verbose(const char *value);
enum me_inherit me_parse_inherit(const char *value, me_diag_fn diag, void *ctx);
bool me_parse_child_sigint(const char *value, me_diag_fn diag, void *ctx);
/* on/off (also 1/0, yes/no, true/false); NULL or blank means on. */
bool me_parse_chain(const char *value, me_diag_fn diag, void *ctx);
/* MULTIEXIT_PYTHON: the same values as MULTIEXIT_CHAIN. */
bool me_parse_python(const char *value, me_diag_fn diag, void *ctx);

/* "TERM", "RTMIN+3"; writes at most n bytes including the NUL. */
void me_signal_name(int sig, char *buf, size_t n);
/* "SIGINT,SIGTERM" in signal order, "none" for the empty set; writes at
 * most n bytes including the NUL. */
void me_signal_list(me_sigmask signals, char *buf, size_t n);
/* True when the default action of sig terminates the process. */
static inline bool me_default_terminates(int sig)
{
    switch (sig) {
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:  /* ignored by default */
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:  /* stop */
        return false;
    default:
        return sig >= 1 && sig <= ME_MAXSIG;
    }
}

/* True when the default action of sig stops the process (TSTP, TTIN, TTOU). */
static inline bool me_default_stops(int sig)
{
    return sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

#endif
