/* SPDX-License-Identifier: MIT */
/* multiexit status PID...: whether running processes are covered. */
#ifndef ME_STATUS_H
#define ME_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/* args: what follows "status" (or "--status"): PIDs and --json, in any
 * order ("--" ends the options). Returns the exit status: 0 every process
 * covered, 1 one at least not covered (or not examinable), else 2 one at
 * least left alone; 125 for a usage error. */
int me_status_main(int argc, char **argv);

/* The version a library file's real name carries (libmultiexit.so.0.1.0:
 * "0.1.0"), into buf; false if the name does not carry one. Reads nothing:
 * the name is all (a copy of another version is never loaded to ask it). */
bool me_version_from_name(const char *path, char *buf, size_t n);

#endif
