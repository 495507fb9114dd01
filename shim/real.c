/* SPDX-License-Identifier: MIT */
/* Resolution of the functions the shim wraps, and of the libc function it
 * needs, in the one walk over the loaded objects at init, or at their first
 * use (real_names.h says which).
 *
 * The "real" functions are what dlsym(RTLD_NEXT, name) would return: the
 * first definition in an object loaded after this library (libc's, or
 * another preload's that comes after us); a GLOBAL one, what an ordinary
 * reference would bind to: the first definition in load order.
 *
 * Reading the objects' GNU hash tables ourselves instead of calling dlsym
 * keeps start-up cheap (dlsym takes the loader's lock and walks every
 * scope: ~1,100 instructions a name, paid by every process). Anything the
 * walk cannot settle (no hash table, an IFUNC, a library dlopen()ed after
 * libc) falls back to dlsym. The lookup at first use reads the objects
 * loaded at start-up without the loader's lock (objects.h): it is safe in
 * a signal handler, where dlsym is not. */
#include "real.h"

#include <dlfcn.h>
#include <stddef.h>

#include "elf_symbols.h"
#include "objects.h"

struct me_real me_real;

#include "dl_compat.h"

#include "real_names.h"
#include "placement.h"

ME_START static void **slot(const struct me_want *w) { return (void **)((char *)&me_real + w->offset); }
/* the first definition was seen (maybe an IFUNC), or its absence settled */
static bool settled[ME_NWANTS];
static size_t nsettled, nwanted = ME_NWANTS;
static bool on_first_use; /* the wants so marked are left to ME_REAL() */

ME_START void me_real_defer(void)
{
    on_first_use = true;
    nwanted = ME_NWANTS_AT_START;
}

ME_START bool me_real_all_found(void) { return nsettled == nwanted; }

ME_START void me_real_visit(struct me_elf_object *o, bool after_self)
{
    for (size_t i = 0; i < ME_NWANTS; i++) {
        const struct me_want *w = &me_real_wants[i];
        if (settled[i] || (w->scope == ME_NEXT && !after_self) ||
            (on_first_use && w->on_first_use))
            continue;
        void *addr;
        enum me_elf_found f = me_elf_find(o, w->name, w->len, w->hash, &addr);
        if (f == ME_ELF_NONE)
            continue;
        settled[i] = true;
        nsettled++;
        if (f == ME_ELF_DEFINED)
            *slot(w) = addr; /* an IFUNC is left to dlsym, which runs its resolver */
    }
}

ME_START void me_real_finish(void)
{
    for (size_t i = 0; i < ME_NWANTS; i++) {
        const struct me_want *w = &me_real_wants[i];
        if (!*slot(w) && !(on_first_use && w->on_first_use))
            *slot(w) = me_dlsym(w->scope == ME_NEXT ? RTLD_NEXT : RTLD_DEFAULT, w->name);
    }
}

extern const char __ehdr_start[]; /* this library's ELF header, at its load bias */

/* The lookup at start-up, at the first use: in the objects loaded at
 * start-up, read without the loader's lock (objects.h), so in a signal
 * handler too. dlsym only when the walk cannot settle it (an IFUNC, an
 * object without a GNU hash table): not expected of these names. */
ME_WARM void *me_real_resolve(size_t offset)
{
    size_t i = 0;
    while (i < ME_NWANTS - 1 && me_real_wants[i].offset != offset)
        i++;
    const struct me_want *w = &me_real_wants[i];
    void *addr = __atomic_load_n(slot(w), __ATOMIC_ACQUIRE);
    if (addr || __atomic_load_n(&settled[i], __ATOMIC_ACQUIRE))
        return addr;
    unsigned n;
    bool after = w->scope == ME_GLOBAL, unsure = false;
    enum me_elf_found f = ME_ELF_NONE;
    for (const struct link_map *m = me_objects_initial(&n); m && n > 0 && f == ME_ELF_NONE;
         m = m->l_next, n--) {
        struct me_elf_object o;
        if (m->l_addr == (uintptr_t)__ehdr_start)
            after = true;
        else if (!after || me_object_is_vdso(m->l_name))
            continue;
        else if (!me_elf_open(&o, m->l_addr, m->l_ld))
            unsure = true;
        else
            f = me_elf_find(&o, w->name, w->len, w->hash, &addr);
    }
    if (f != ME_ELF_DEFINED)
        addr = f == ME_ELF_IFUNC || unsure
                   ? me_dlsym(w->scope == ME_NEXT ? RTLD_NEXT : RTLD_DEFAULT, w->name)
                   : NULL;
    __atomic_store_n(slot(w), addr, __ATOMIC_RELEASE);
    __atomic_store_n(&settled[i], true, __ATOMIC_RELEASE);
    return addr;
}

ME_START void *me_real_lazy(void **slot, const char *name)
{
    void *fn = me_dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, fn, __ATOMIC_RELEASE);
    return fn;
}

ME_START void *me_real_global(const char *name) { return me_dlsym(RTLD_DEFAULT, name); }

void *me_real_global_sym(const char *name, const ElfW(Sym) **sym)
{
    size_t len = 0;
    while (name[len])
        len++;
    uint32_t hash = me_elf_hash(name);
    unsigned n;
    *sym = NULL;
    for (const struct link_map *m = me_objects_initial(&n); m && n > 0; m = m->l_next, n--) {
        struct me_elf_object o;
        if (me_object_is_vdso(m->l_name) || !me_elf_may_define(m->l_addr, m->l_ld, hash))
            continue;
        if (!me_elf_open(&o, m->l_addr, m->l_ld))
            break; /* no GNU hash table: dlsym can tell */
        const ElfW(Sym) *s = me_elf_symbol(&o, name, len, hash);
        if (!s)
            continue;
        if (ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC)
            break; /* only the dynamic linker may run its resolver */
        *sym = s;
        return (void *)(o.base + s->st_value);
    }
    /* not loaded at start-up (a library dlopen()ed since), or not at all */
    return me_dlsym(RTLD_DEFAULT, name);
}
