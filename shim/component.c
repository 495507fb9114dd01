/* SPDX-License-Identifier: MIT */
/* Components (SEMANTICS section 2): a handler belongs to the loaded object
 * whose code holds it; a handler outside every object (generated code)
 * belongs to the object whose code made the installing call. A new handler
 * replaces its own component's previous one, and chains with the others'.
 *
 * Asked with _dl_find_object where glibc has it (2.35+): lock-free and
 * async-signal-safe, so an install from a handler and the dispatcher may
 * ask. Before 2.35, from the shim's own table of the loaded objects'
 * ranges (object_ranges.c), refreshed when an install names a handler in
 * none of them, and after every dlclose. */
#include "component.h"

#include "../registry/sigchain.h"
#include "object_ranges.h"
#include "real.h"
#include "running.h"

/* The object's identity (aligned: bit 0 is free), or 0. */
static uintptr_t object_of(const void *addr)
{
    int (*find)(void *, struct me_dl_find_object *) = ME_REAL(find_object_fn);
    if (!find)
        return me_objects_find((uintptr_t)addr);
    struct me_dl_find_object r;
    if (find((void *)addr, &r) != 0)
        return 0;
    return (uintptr_t)r.link_map;
}

/* Before 2.35: an address in no object of the table may be in one
 * dlopen()ed since (not looked for in a handler, which may have
 * interrupted the loader itself). Only then: the look takes the loader's
 * lock, which a thread holding it at a fork leaves held in the child for
 * ever (glibc 2.31). */
static uintptr_t object_of_code(const void *addr)
{
    uintptr_t o = object_of(addr);
    if (!o && addr && !ME_REAL(find_object_fn) && !me_in_handler()) {
        me_objects_refresh(false);
        o = object_of(addr);
    }
    return o;
}

void me_component_of(struct me_handler *h, const void *caller)
{
    uintptr_t o = object_of_code(h->fn);
    h->comp = o ? o | ME_FN_IN_COMP : object_of(caller);
}

uintptr_t me_component_calling(const void *caller) { return object_of_code(caller); }

bool me_component_loaded(const struct me_handler *h)
{
    /* the same object: one loaded later at the same address is not it */
    return !(h->comp & ME_FN_IN_COMP) || (object_of(h->fn) | ME_FN_IN_COMP) == h->comp;
}

void me_component_unloaded(void)
{
    if (!ME_REAL(find_object_fn))
        me_objects_refresh(true);
}
