/* SPDX-License-Identifier: MIT */
// C++ static destructors, a function-local static, atexit and buffered
// iostream output. Modes: wait (ready, then wait for a signal), exit.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <unistd.h>

#include "common.h"

struct Noisy {
    const char *name;
    explicit Noisy(const char *n) : name(n) {}
    ~Noisy() { std::cout << "dtor " << name << std::endl; }
};

static Noisy global_a("global a");
static Noisy global_b("global b");

static Noisy &local()
{
    static Noisy l("function-local");
    return l;
}

static void plain_atexit() { std::cout << "atexit cxx" << std::endl; }

int main(int argc, char **argv)
{
    std::atexit(plain_atexit);
    local();
    std::cout << "buffered cout line\n"; // no flush
    if (argc > 1 && std::strcmp(argv[1], "exit") == 0)
        std::exit(143);
    ready("ready");
    for (;;)
        pause();
}
