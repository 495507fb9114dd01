/* SPDX-License-Identifier: MIT */
#ifndef ME_PLACEMENT_H
#define ME_PLACEMENT_H

/* Where a function goes in the split code layout (CMake option
 * MULTIEXIT_SPLIT_LAYOUT, shim/layout.ld), marked at its definition:
 *   ME_START  what every process runs: the start-up, a normal exit;
 *   ME_WARM   what many processes run, not all: registering exit
 *             functions, fork and vfork, a handler for a signal that is
 *             not managed;
 *   ME_SIGNAL what a managed signal with the default disposition runs
 *             from its delivery to the death: the dispatcher's first
 *             steps, the safe-point check, the exit path, the guard, the
 *             death by the signal; placed in the free space of the first
 *             mapping's last page, resident already (test_footprint);
 *   unmarked  the rest: the chains, repeated signals, deferred exits, the
 *             diagnostics, the parsers of set variables.
 * A mark only decides which pages a process touches (README, Performance);
 * a function in the wrong place works all the same. The build defines
 * the marks (registry/ reads the same definitions); without the split
 * layout they mean nothing. */
#ifndef ME_START
#define ME_START
#endif
#ifndef ME_WARM
#define ME_WARM
#endif
#ifndef ME_SIGNAL
#define ME_SIGNAL
#endif
#ifndef ME_START_DATA /* read-only data that ME_START code reads */
#define ME_START_DATA
#endif
#ifndef ME_WARM_DATA
#define ME_WARM_DATA
#endif

#endif
