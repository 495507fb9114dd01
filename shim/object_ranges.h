/* SPDX-License-Identifier: MIT */
#ifndef ME_OBJECT_RANGES_H
#define ME_OBJECT_RANGES_H

#include <stdbool.h>
#include <stdint.h>

/* The loaded objects' address ranges, for a glibc without
 * _dl_find_object (before 2.35): object_ranges.c. */

struct dl_phdr_info;
/* [*lo, *hi): what the object's PT_LOAD segments span; false if none. */
bool me_object_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi);
/* Takes a new snapshot of the loaded objects if the loader's counters
 * moved since the last one, or always when force. Never from a signal
 * handler (dl_iterate_phdr takes the loader's lock); never blocks: if
 * another thread is taking one, that thread takes this one too. */
void me_objects_refresh(bool force);
/* The object whose mapped range holds addr, as an identity that no later
 * object shares (even one loaded at the same address): even and non-zero,
 * or 0 for an address outside every object. Lock-free, async-signal-safe. */
uintptr_t me_objects_find(uintptr_t addr);

#endif
