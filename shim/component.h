/* SPDX-License-Identifier: MIT */
#ifndef ME_COMPONENT_H
#define ME_COMPONENT_H

#include <stdbool.h>
#include <stdint.h>

/* Components (component.c). */
struct me_handler;
/* Sets h->comp: the loaded object whose code holds h->fn, or else the one
 * whose code made the installing call. */
void me_component_of(struct me_handler *h, const void *caller);
/* The component that made a call (the loaded object holding the return
 * address caller), without ME_FN_IN_COMP; 0 unknown. */
uintptr_t me_component_calling(const void *caller);
/* False once the object holding h->fn has been unloaded (dlclose).
 * Async-signal-safe. */
bool me_component_loaded(const struct me_handler *h);
/* An object may have been unloaded (after dlclose): not in a handler. */
void me_component_unloaded(void);

#endif
