/* SPDX-License-Identifier: MIT */
/* The warm and the rest code (shim/layout.ld) are adjacent pages of the
 * library with the same protection, which the kernel maps as one mapping;
 * and a mapping is faulted in whole (fault-around), so a program that only
 * registers exit functions would have all the rest resident too. Marked
 * MADV_DONTDUMP (code from a file is not in a core dump by default anyway),
 * the warm pages are a mapping of their own. If the kernel refuses, only
 * the memory such a program uses grows. Built only with the split layout. */
#include "split_layout.h"

#include <stdint.h>
#include <sys/mman.h>

#include "sys.h"
#include "placement.h"

extern const char me_warm_start[], me_warm_end[]; /* from the script */

ME_START void me_split_layout(void)
{
    /* two symbols the script places, compared as addresses */
    uintptr_t lo = (uintptr_t)me_warm_start, hi = (uintptr_t)me_warm_end;
    me_sys(SYS_madvise, lo, hi - lo, MADV_DONTDUMP);
}
