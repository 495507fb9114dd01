/* SPDX-License-Identifier: MIT */
/* Looking a name up in one loaded object's dynamic symbol table (its GNU
 * hash table), the way the dynamic linker does, without the dynamic
 * linker: no lock, no lazy binding, a few dozen instructions a name. */
#ifndef ME_ELF_SYMBOLS_H
#define ME_ELF_SYMBOLS_H

#include <link.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct me_elf_object {
    uintptr_t base; /* load bias */
    const ElfW(Dyn) *dynamic;
    const ElfW(Sym) *symtab;
    const char *strtab;
    const uint32_t *gnu_hash;
    const ElfW(Half) *versym;
    bool versym_known;
};

/* Finds the symbol tables from the object's load bias and dynamic section.
 * False when there is no GNU hash table (then use dlsym). */
bool me_elf_open(struct me_elf_object *o, uintptr_t base, const ElfW(Dyn) *dynamic);

uint32_t me_elf_hash(const char *name);
/* Hashes the start-up needs, written out (tests/test_symbols.c checks). */
#define ME_HASH_R_DEBUG 0x5475103cu   /* "_r_debug" */
#define ME_HASH_COPY_MARK 0x3b62914fu /* "multiexit_version" */
#define ME_HASH_MALLOC 0x0d39ad3du    /* "malloc" */

/* False if the object's Bloom filter says it does not define a name with
 * this hash (me_elf_find's first test): a few instructions, where
 * me_elf_open and me_elf_find walk the dynamic section and the chain. */
bool me_elf_may_define(uintptr_t base, const ElfW(Dyn) *dynamic, uint32_t hash);

/* The default-version definition of name in this object (below), its
 * symbol itself (its size, its type): NULL if none. */
const ElfW(Sym) *me_elf_symbol(struct me_elf_object *o, const char *name, size_t len,
                               uint32_t hash);

enum me_elf_found { ME_ELF_NONE, ME_ELF_DEFINED, ME_ELF_IFUNC };
/* The default-version definition of name, as dlsym would choose it in this
 * object: defined, global or weak, not a hidden (non-default) version.
 * ME_ELF_IFUNC: defined, but only the dynamic linker may call its resolver. */
enum me_elf_found me_elf_find(struct me_elf_object *o, const char *name, size_t len,
                              uint32_t hash, void **addr);

#endif
