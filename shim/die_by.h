/* SPDX-License-Identifier: MIT */
#ifndef ME_DIE_BY_H
#define ME_DIE_BY_H

/* Dies by sig with its default action, whatever the program's disposition
 * (die_by.c). PID 1 of a pid namespace, which the kernel lets no signal
 * kill that way, exits with 128 + sig instead. */
void me_die_by(int sig) __attribute__((noreturn));

#endif
