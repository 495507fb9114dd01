/* SPDX-License-Identifier: MIT */
#ifndef ME_SETTINGS_H
#define ME_SETTINGS_H

#include "../config/me_config.h"

/* The configuration this process read from its environment (config/),
 * once, at init (init.c). */
extern struct me_config me_cfg;

#endif
