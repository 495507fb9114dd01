/* SPDX-License-Identifier: MIT */
#ifndef ME_LOG_H
#define ME_LOG_H

#include <stdint.h>

/* Messages on stderr (log.c): async-signal-safe, one write(2) per line. */
void me_log(const char *fmt, ...); /* %s %d %u %ld and %S (signal name) only */
void me_diag_stderr(void *ctx, const char *line);
/* MULTIEXIT_VERBOSE's line when a process image starts with the library. */
void me_log_active(int pid, uint64_t signals, unsigned timeout_ms);

#endif
