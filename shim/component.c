/* SPDX-License-Identifier: MIT */
/* Components (SEMANTICS section 2): a handler belongs to the loaded object
 * whose code holds it; a handler outside every object (generated code)
 * belongs to the object whose code made the installing call. A new handler
 * replaces its own component's previous one, and chains with the others'.
 *
 * Asked with _dl_find_object (glibc 2.35+): lock-free and async-signal-
 * safe, so an install from a handler and the dispatcher may ask. Without
 * it every handler is of one unknown component: installs replace, as the
 * kernel's do. */
#include "component.h"

#include <dlfcn.h>

#include "../registry/sigchain.h"
#include "real.h"

/* The object's link map (aligned: bit 0 is free), or 0. */
static uintptr_t object_of(const void *addr)
{
    struct dl_find_object r;
    if (!me_real.find_object_fn || me_real.find_object_fn((void *)addr, &r) != 0)
        return 0;
    return (uintptr_t)r.dlfo_link_map;
}

void me_component_of(struct me_handler *h, const void *caller)
{
    uintptr_t o = object_of(h->fn);
    h->comp = o ? o | ME_FN_IN_COMP : object_of(caller);
}

bool me_component_loaded(const struct me_handler *h)
{
    /* the same link map: an object loaded later at the same address is not it */
    return !(h->comp & ME_FN_IN_COMP) || (object_of(h->fn) | ME_FN_IN_COMP) == h->comp;
}
