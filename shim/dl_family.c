/* SPDX-License-Identifier: MIT */
/* dlclose: after the loader has unloaded what it unloads, the components
 * learn it (on a glibc without _dl_find_object, the shim keeps the table
 * of loaded objects itself), so that no handler of an unloaded library is
 * called. dlopen is not wrapped: glibc reads its caller's address (the
 * caller's RUNPATH, $ORIGIN, namespace), which a wrapper would change. */
#include <dlfcn.h>

#include "component.h"
#include "export.h"
#include "init.h"
#include "real.h"
#include "placement.h"

ME_WARM ME_EXPORT int dlclose(void *handle)
{
    int r = ME_REAL_LAZY(int (*)(void *), "dlclose")(handle);
    if (!ME_LEFT_ALONE())
        me_component_unloaded();
    return r;
}
