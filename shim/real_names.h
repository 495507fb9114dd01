/* SPDX-License-Identifier: MIT */
/* What real.c resolves, with each name's GNU hash written out (computing
 * the hashes at every process start costs a thousand instructions);
 * tests/test_symbols.c checks them against me_elf_hash. */
#ifndef ME_REAL_NAMES_H
#define ME_REAL_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "placement.h"

/* NEXT: as dlsym(RTLD_NEXT): the first definition after this library.
 * GLOBAL: as an ordinary reference: the first definition in load order. */
enum me_scope { ME_NEXT, ME_GLOBAL };

/* 28 bytes: the table is in the first mapping, which every process maps
 * whole, and whose last page has the signal path in its free space. */
struct me_want {
    char name[18]; /* inline: a pointer would cost a relocation at every start */
    uint8_t len;
    uint8_t scope; /* enum me_scope */
    uint32_t hash;
    /* ME_REAL() finds it at its first use (when the linker's list was
     * read: objects.h), not at start-up: /bin/true uses none of these */
    bool on_first_use;
    uint16_t offset; /* in struct me_real */
};

#define ME_WANT(str, h, sc, when, field)                                                       \
    {.name = str, .len = sizeof str - 1, .scope = sc, .hash = h, .on_first_use = when,         \
     .offset = offsetof(struct me_real, field)}
#define ME_AT_START false
#define ME_AT_FIRST_USE true
ME_START_DATA static const struct me_want me_real_wants[] = {
    ME_WANT("sigaction", 0x0f375846u, ME_NEXT, ME_AT_START, sigaction_fn),
    ME_WANT("__cxa_atexit", 0x2b43e9edu, ME_NEXT, ME_AT_START, cxa_atexit_fn),
    ME_WANT("__cxa_finalize", 0x6dce65d0u, ME_NEXT, ME_AT_START, cxa_finalize_fn),
    ME_WANT("exit", 0x7c967e3fu, ME_NEXT, ME_AT_START, exit_fn),
    ME_WANT("abort", 0x0f11ed7du, ME_NEXT, ME_AT_FIRST_USE, abort_fn),
    ME_WANT("__libc_start_main", 0xf63d4e2eu, ME_NEXT, ME_AT_START, libc_start_main_fn),
    ME_WANT("fork", 0x7c96e577u, ME_NEXT, ME_AT_FIRST_USE, fork_fn),
    ME_WANT("getauxval", 0xd257ee96u, ME_NEXT, ME_AT_FIRST_USE, getauxval_fn),
    /* lock-free lookup of the object holding an address (component.c) */
    ME_WANT("_dl_find_object", 0xb98cf3eau, ME_GLOBAL, ME_AT_FIRST_USE, find_object_fn),
};
#define ME_NWANTS (sizeof me_real_wants / sizeof me_real_wants[0])
#define ME_NWANTS_AT_START 5 /* those ME_AT_START (tests/test_symbols.c counts) */

#endif
