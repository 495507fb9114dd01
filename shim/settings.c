/* SPDX-License-Identifier: MIT */
/* The configuration as read at init: one object every layer may read. */
#include "settings.h"

struct me_config me_cfg = ME_CONFIG_DEFAULTS;
