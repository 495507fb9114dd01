/* SPDX-License-Identifier: MIT */
/* GNU hash lookup: the layout is the one binutils and glibc share
 * (nbuckets, symoffset, bloom_size, bloom_shift, bloom[], buckets[],
 * chain[]); the acceptance rules are those of glibc's check_match for a
 * dlsym (not dlvsym) lookup. */
#include "elf_symbols.h"
#include "placement.h"

#include <stddef.h>

/* A pointer from the dynamic section. glibc relocates these in place where
 * it may write the dynamic section; a read-only one's (the vDSO's) stay
 * link-time addresses, which lie below the load bias of any object loaded
 * at a bias (a program linked at a fixed address has none). */
ME_START static const void *dyn_ptr(const struct me_elf_object *o, ElfW(Addr) v)
{
    return (const void *)(v < o->base ? v + o->base : v);
}

ME_START static const void *dyn_lookup(const struct me_elf_object *o, ElfW(Sxword) tag)
{
    for (const ElfW(Dyn) *d = o->dynamic; d->d_tag != DT_NULL; d++)
        if (d->d_tag == tag)
            return dyn_ptr(o, d->d_un.d_ptr);
    return NULL;
}

ME_START bool me_elf_open(struct me_elf_object *o, uintptr_t base, const ElfW(Dyn) *dynamic)
{
    *o = (struct me_elf_object){.base = base, .dynamic = dynamic};
    if (!dynamic)
        return false;
    for (const ElfW(Dyn) *d = dynamic; d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_SYMTAB)
            o->symtab = dyn_ptr(o, d->d_un.d_ptr);
        else if (d->d_tag == DT_STRTAB)
            o->strtab = dyn_ptr(o, d->d_un.d_ptr);
        else if (d->d_tag == DT_GNU_HASH)
            o->gnu_hash = dyn_ptr(o, d->d_un.d_ptr);
        else
            continue;
        if (o->symtab && o->strtab && o->gnu_hash)
            return true;
    }
    return false;
}

ME_START uint32_t me_elf_hash(const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = h * 33 + *p;
    return h;
}

/* Not strcmp (a first call into libc costs a lazy binding): eight bytes at
 * a time, over the length of the wanted name and its NUL. The strings
 * compared have equal hashes, so they are nearly always equal, and then
 * nothing past the table's string is read. */
ME_START static bool same(const char *want, size_t len, const char *have)
{
    size_t i = 0;
    for (; i + 8 <= len + 1; i += 8) {
        uint64_t a, b;
        __builtin_memcpy(&a, want + i, 8);
        __builtin_memcpy(&b, have + i, 8);
        if (a != b)
            return false;
    }
    for (; i <= len; i++)
        if (want[i] != have[i])
            return false;
    return true;
}

ME_START static bool acceptable(struct me_elf_object *o, uint32_t idx)
{
    const ElfW(Sym) *s = &o->symtab[idx];
    unsigned type = ELF64_ST_TYPE(s->st_info), bind = ELF64_ST_BIND(s->st_info);
    if (s->st_shndx == SHN_UNDEF || s->st_value == 0)
        return false;
    if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
        return false;
    if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE && type != STT_GNU_IFUNC)
        return false;
    /* versym 0/1: unversioned; otherwise only the default version. Looked
     * up on the first candidate: most objects searched never get one. */
    if (!o->versym_known) {
        o->versym = dyn_lookup(o, DT_VERSYM);
        o->versym_known = true;
    }
    return !o->versym || (o->versym[idx] & 0x7fff) < 2 || !(o->versym[idx] & 0x8000);
}

/* The GNU hash table's Bloom filter: false if the object surely does not
 * define a name with this hash (and for an empty table). */
static inline __attribute__((always_inline)) bool bloom_admits(const uint32_t *h, uint32_t hash)
{
    uint32_t bloom_size = h[2], shift = h[3];
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(h + 4);
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    if (h[0] == 0 || bloom_size == 0)
        return false;
    ElfW(Addr) word = bloom[(hash / bits) & (bloom_size - 1)];
    ElfW(Addr) mask = ((ElfW(Addr))1 << (hash % bits)) | ((ElfW(Addr))1 << ((hash >> shift) % bits));
    return (word & mask) == mask;
}

ME_START bool me_elf_may_define(uintptr_t base, const ElfW(Dyn) *dynamic, uint32_t hash)
{
    struct me_elf_object o = {.base = base};
    for (const ElfW(Dyn) *d = dynamic; d && d->d_tag != DT_NULL; d++)
        if (d->d_tag == DT_GNU_HASH)
            return bloom_admits(dyn_ptr(&o, d->d_un.d_ptr), hash);
    return true; /* no GNU hash table: cannot tell */
}

ME_START const ElfW(Sym) *me_elf_symbol(struct me_elf_object *o, const char *name, size_t len,
                                        uint32_t hash)
{
    const uint32_t *h = o->gnu_hash;
    uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
    const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(h + 4) + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    if (!bloom_admits(h, hash))
        return NULL;
    uint32_t idx = buckets[hash % nbuckets];
    if (idx < symoffset)
        return NULL;
    for (;; idx++) {
        uint32_t h2 = chain[idx - symoffset];
        if ((hash | 1) == (h2 | 1) && same(name, len, o->strtab + o->symtab[idx].st_name) &&
            acceptable(o, idx))
            return &o->symtab[idx];
        if (h2 & 1)
            return NULL;
    }
}

ME_START enum me_elf_found me_elf_find(struct me_elf_object *o, const char *name, size_t len,
                              uint32_t hash, void **addr)
{
    const ElfW(Sym) *s = me_elf_symbol(o, name, len, hash);
    if (!s)
        return ME_ELF_NONE;
    *addr = (void *)(o->base + s->st_value);
    return ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC ? ME_ELF_IFUNC : ME_ELF_DEFINED;
}
