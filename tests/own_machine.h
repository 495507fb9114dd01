/* SPDX-License-Identifier: MIT */
/* For tests run under an emulator (a cross build's, under qemu-user): is
 * file an ELF program of the machine this code was built for? Such a
 * program must be started through the emulator; anything else (a host
 * program, a script) is exec'd directly. Used by the harness and by the
 * test-only copy of the wrapper (scripts/multiexit.c, ME_TEST_EMULATOR). */
#ifndef ME_OWN_MACHINE_H
#define ME_OWN_MACHINE_H

#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static inline bool own_machine(const char *file)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    Elf64_Ehdr eh;
    bool own = read(fd, &eh, sizeof eh) == (ssize_t)sizeof eh &&
               memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 &&
#if defined(__aarch64__)
               eh.e_machine == EM_AARCH64;
#elif defined(__x86_64__)
               eh.e_machine == EM_X86_64;
#else
               false;
#endif
    close(fd);
    return own;
}

#endif
