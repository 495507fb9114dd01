/* SPDX-License-Identifier: MIT */
/* CPython embedded in a C program with a main loop of its own (issue 24),
 * for tests/python_exit.sh: Py_Initialize, a Python atexit function and a
 * finally that print markers, then the C program's loop, blocked in read()
 * on stdin. A SIGTERM there must kill it at once, with and without the
 * shim: the interpreter may never run Python code again to pick a signal
 * up, so none of its hooks runs. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    Py_Initialize();
    if (PyRun_SimpleString("import atexit, signal\n"
                           "atexit.register(lambda: print('atexit', flush=True))\n"
                           "print('getsignal(SIGTERM) is SIG_DFL:',"
                           " signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, flush=True)\n"
                           "try:\n"
                           "    pass\n"
                           "finally:\n"
                           "    print('python-ran', flush=True)\n") != 0)
        return 2;
    printf("ready %d %ld\n", (int)getpid(), (long)syscall(SYS_gettid));
    fflush(stdout);
    char buf[256];
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) /* the program's own loop */
        if (PyRun_SimpleString("print('line', flush=True)") != 0)
            return 2;
    printf("loop-ended\n");
    return Py_FinalizeEx() < 0 ? 120 : 0;
}
