/* SPDX-License-Identifier: MIT */
/* Resolution of the functions the shim wraps, and of the few libc objects
 * it needs, in one walk over the loaded objects at init.
 *
 * The "real" functions are what dlsym(RTLD_NEXT, name) would return: the
 * first definition in an object loaded after this library (libc's, or
 * another preload's that comes after us). malloc is what an ordinary
 * reference would bind to: the first definition in load order (the
 * program's own malloc, if it has one).
 *
 * Reading the objects' GNU hash tables ourselves instead of calling dlsym
 * keeps start-up cheap (dlsym takes the loader's lock and walks every
 * scope: ~1,100 instructions a name, paid by every process). Anything the
 * walk cannot settle (no hash table, an IFUNC, a library dlopen()ed after
 * libc) falls back to dlsym. Everything is resolved at init, never in a
 * signal handler, where dlsym is not safe. */
#include "real.h"

#include <dlfcn.h>
#include <stddef.h>

#include "elf_symbols.h"

struct me_real me_real;

/* dlsym as libc.so.6 has exported it since glibc 2.34 under both its old
 * libdl version and GLIBC_2.34; naming the old one keeps the shim's symbol
 * versions at GLIBC_2.2.5 alone, one version check less at every start. */
#include "arch.h"
#if defined(ME_DLSYM_VERSION) && defined(__GLIBC__)
void *me_dlsym(void *handle, const char *name);
__asm__(".symver me_dlsym, " ME_DLSYM_VERSION);
#else
#define me_dlsym dlsym
#endif

#include "real_names.h"
#include "placement.h"

ME_START static void **slot(const struct me_want *w) { return (void **)((char *)&me_real + w->offset); }
static bool settled[ME_NWANTS]; /* the first definition was seen (maybe an IFUNC) */
static size_t nsettled;

ME_START bool me_real_all_found(void) { return nsettled == ME_NWANTS; }

ME_START void me_real_visit(struct me_elf_object *o, bool after_self, bool *defines_malloc)
{
    for (size_t i = 0; i < ME_NWANTS; i++) {
        const struct me_want *w = &me_real_wants[i];
        if (settled[i] || (w->scope == ME_NEXT && !after_self))
            continue;
        void *addr;
        enum me_elf_found f = me_elf_find(o, w->name, w->len, w->hash, &addr);
        if (f == ME_ELF_NONE)
            continue;
        settled[i] = true;
        nsettled++;
        if (f == ME_ELF_DEFINED)
            *slot(w) = addr; /* an IFUNC is left to dlsym, which runs its resolver */
        if (slot(w) == (void **)&me_real.malloc_fn)
            *defines_malloc = true;
    }
}

ME_START void me_real_finish(void)
{
    for (size_t i = 0; i < ME_NWANTS; i++)
        if (!*slot(&me_real_wants[i]))
            *slot(&me_real_wants[i]) =
                me_dlsym(me_real_wants[i].scope == ME_NEXT ? RTLD_NEXT : RTLD_DEFAULT,
                      me_real_wants[i].name);
}

ME_START void *me_real_lazy(void **slot, const char *name)
{
    void *fn = me_dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    return fn;
}

ME_START void *me_real_global(const char *name) { return me_dlsym(RTLD_DEFAULT, name); }
