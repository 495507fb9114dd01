/* SPDX-License-Identifier: MIT */
#ifndef ME_SPLIT_LAYOUT_H
#define ME_SPLIT_LAYOUT_H

/* With the split code layout (CMake option MULTIEXIT_SPLIT_LAYOUT,
 * shim/layout.ld): makes the warm code a mapping of its own, apart from
 * the rest (split_layout.c). Without it, nothing to do. */
#if ME_SPLIT_LAYOUT
void me_split_layout(void);
#else
static inline void me_split_layout(void) {}
#endif

#endif
