/* SPDX-License-Identifier: MIT */
// A global std::thread still joinable at exit: its destructor calls
// std::terminate. With "wait": atexit, ready, then wait for a signal.
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <unistd.h>

#include "common.h"

static std::thread forever([] {
    for (;;)
        pause();
});

static void bye() { std::fprintf(stderr, "atexit ran\n"); }

int main()
{
    std::atexit(bye);
    ready("ready");
    for (;;)
        pause();
}
