/* SPDX-License-Identifier: MIT */
/* The floor of loading any preload library: an empty one. */
int multiexit_bench_empty_preload;
