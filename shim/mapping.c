/* SPDX-License-Identifier: MIT */
/* Memory the shim maps for itself, once, from any context. Raw system
 * calls: no errno, no allocator, async-signal-safe. */
#include "mapping.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "sys.h"
#include "placement.h"

ME_WARM void *me_map_once(void *_Atomic *where, size_t size, int advice)
{
    void *have = atomic_load_explicit(where, memory_order_acquire);
    if (have)
        return have;
    long m = me_sys(SYS_mmap, NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!me_sys_failed(m) && advice && me_sys(SYS_madvise, m, size, advice) != 0) {
        me_sys(SYS_munmap, m, size);
        m = -ENOMEM; /* refused */
    }
    if (!me_sys_failed(m) && !atomic_compare_exchange_strong(where, &have, (void *)m))
        me_sys(SYS_munmap, m, size); /* another thread mapped it first */
    return !me_sys_failed(m) && !have ? (void *)m : atomic_load_explicit(where, memory_order_acquire);
}

