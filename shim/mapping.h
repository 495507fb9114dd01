/* SPDX-License-Identifier: MIT */
#ifndef ME_MAPPING_H
#define ME_MAPPING_H

#include <stddef.h>

/* Maps size zeroed bytes once, with madvise(advice) unless 0, and
 * publishes them in *where (whoever comes first wins; the others unmap
 * theirs). NULL if the kernel refuses. Async-signal-safe; errno kept. */
void *me_map_once(void *_Atomic *where, size_t size, int advice);

#endif
