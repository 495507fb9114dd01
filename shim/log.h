/* SPDX-License-Identifier: MIT */
#ifndef ME_LOG_H
#define ME_LOG_H

/* Messages on stderr (log.c): async-signal-safe, one write(2) per line. */
void me_log(const char *fmt, ...); /* %s %d %u %ld and %S (signal name) only */
void me_diag_stderr(void *ctx, const char *line);

#endif
