/* SPDX-License-Identifier: MIT */
#ifndef ME_EXPORT_H
#define ME_EXPORT_H

/* The library is built with -fvisibility=hidden: only the functions it
 * interposes and its public API are exported. */
#define ME_EXPORT __attribute__((visibility("default")))

#endif
