/* SPDX-License-Identifier: MIT */
#ifndef ME_FORK_FAMILY_H
#define ME_FORK_FAMILY_H

/* fork, daemon, forkpty, vfork (fork_family.c). */
void me_fork_child(void);
void me_vfork_child_exit(int status) __attribute__((noreturn));

#endif
