/* SPDX-License-Identifier: MIT */
#ifndef ME_INHERITED_STDIO_H
#define ME_INHERITED_STDIO_H

#include <stdbool.h>

/* (inherited_stdio.c) What a forked child's stdio buffers held at the fork
 * is its parent's output: the signal-initiated exit does not write it. */
/* In the parent, before fork: does any stream hold unwritten output? */
bool me_stdio_pending(void);
/* In the child, just after fork: remember what each stream held. */
void me_stdio_record_inherited(void);
/* At the start of a signal-initiated exit: drop it where still unwritten. */
void me_stdio_drop_inherited(void);

#endif
