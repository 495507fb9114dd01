/* SPDX-License-Identifier: MIT */
/* CPython (issue 24). CPython installs no handler for SIGTERM: without the
 * shim the interpreter dies at once, and its finally blocks, with exits,
 * atexit functions and logging shutdown never run; the C exit path runs
 * none of them either (they are the interpreter's, not C exit functions).
 * So in the python program itself, for each managed signal that terminates
 * by default and whose Python-level disposition is SIG_DFL, the shim
 * installs a Python-level handler that raises SystemExit in the main
 * thread; the interpreter unwinds and finalizes as for sys.exit(), and the
 * exit that ends it dies by the signal (exit_path.c), bounded by
 * MULTIEXIT_TIMEOUT.
 *
 * How, without Python.h: the C API is looked up with dlsym (Debian's
 * python3 exports it from the executable, other builds from libpython).
 * Py_AddPendingCall is not async-signal-safe, and a pending call runs only
 * in the main thread's evaluation loop, so the handler is installed from
 * ordinary code: at CPython's first sigaction call for a managed signal
 * with a thread state (its signal module's set-up, inside Py_BytesMain),
 * a pending call is queued, which runs Python code that installs the handler and wraps
 * signal.getsignal and signal.signal so that the program still sees
 * SIG_DFL. An interpreter embedded in a program with a main loop of its
 * own (Py_BytesMain/Py_Main not running) is left alone: the C path applies
 * to it as before, at once. */
#include "python.h"

#include <dlfcn.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

#include "../exit_path.h"
#include "../kernel_disp.h"
#include "../mapping.h"
#include "../log.h"
#include "../process.h"
#include "../real.h"
#include "../running.h"
#include "../settings.h"
#include "../sys.h"

_Atomic int me_python_state;
_Atomic uint64_t me_python_signals;

enum { FOUND = 1, QUEUED = 2 }; /* between ME_PY_UNDECIDED and ME_PY_DONE */

/* The little of the C API this needs; objects are opaque. */
typedef struct me_pyobject PyObject;
typedef PyObject *(*py_cfunc)(PyObject *, PyObject *);
struct py_method_def { /* PyMethodDef, the same in every CPython 3 */
    const char *name;
    py_cfunc meth;
    int flags;
    const char *doc;
};
#define PY_METH_O 0x0008
#define PY_FILE_INPUT 257

/* The C API functions used, in the order of names below. */
struct py_api {
    int (*add_pending_call)(int (*)(void *), void *);
    void *(*this_thread_state)(void);
    PyObject *(*dict_new)(void);
    int (*dict_set_item_string)(PyObject *, const char *, PyObject *);
    PyObject *(*eval_get_builtins)(void);
    PyObject *(*cfunction_new)(struct py_method_def *, PyObject *, PyObject *);
    PyObject *(*run_string)(const char *, int, PyObject *, PyObject *, void *);
    long (*long_as_long)(PyObject *);
    PyObject *(*long_from_long)(long);
    void (*decref)(PyObject *);
    void (*err_clear)(void);
};
/* One string, no table of pointers: a relocated table would cost every
 * process a page of its own (tests/test_footprint.c). */
static const char api_names[] = "Py_AddPendingCall\0PyGILState_GetThisThreadState\0PyDict_New\0"
                                "PyDict_SetItemString\0PyEval_GetBuiltins\0PyCFunction_NewEx\0"
                                "PyRun_StringFlags\0PyLong_AsLong\0PyLong_FromLong\0Py_DecRef\0"
                                "PyErr_Clear\0";

/* Mapped once CPython is found: nothing in the library's data for it. */
static struct py_state {
    struct py_api api;
    struct py_method_def fired_def, ours_def;
} *_Atomic state_mem;
#define py (atomic_load_explicit(&state_mem, memory_order_relaxed)->api)

static bool look_up(void)
{
    struct py_state *st = me_map_once((void *_Atomic *)&state_mem, sizeof *st, 0);
    if (!st)
        return false;
    _Static_assert(sizeof st->api % sizeof(void *) == 0, "struct py_api: function pointers only");
    void **slot = (void **)&st->api;
    const char *name = api_names;
    for (size_t i = 0; i < sizeof st->api / sizeof(void *); i++, name += strlen(name) + 1) {
        slot[i] = me_real_global(name);
        if (!slot[i])
            return false;
    }
    return true;
}

/* Is the interpreter's own main function running on this (the main)
 * thread? A return address into Py_BytesMain, Py_Main or Py_RunMain is on
 * the stack between here and its top. An embedder's main loop calls none
 * of them. */
static bool interpreter_is_main(void)
{
    uintptr_t *p = (uintptr_t *)__builtin_frame_address(0), *end = me_main_stack_end();
    if (!end || p >= end)
        return false;
    static const char mains[] = "Py_BytesMain\0Py_Main\0Py_RunMain";
    uintptr_t lo[3] = {0}, hi[3] = {0};
    const char *name = mains;
    for (int i = 0; i < 3; i++, name += strlen(name) + 1) {
        void *f = me_real_global(name);
        Dl_info info;
        const ElfW(Sym) *sym = NULL;
        if (f && dladdr1(f, &info, (void **)&sym, RTLD_DL_SYMENT) && sym) {
            lo[i] = (uintptr_t)f;
            hi[i] = (uintptr_t)f + sym->st_size;
        }
    }
    for (; p < end; p++)
        for (int i = 0; i < 3; i++)
            if (*p > lo[i] && *p < hi[i])
                return true;
    return false;
}

/* ---- called from Python ---- */

/* The handler's first call for this process: the unwinding starts. */
static PyObject *fired(PyObject *self, PyObject *arg)
{
    (void)self;
    long sig = py.long_as_long(arg);
    bool first = sig > 0 && sig <= ME_MAXSIG && me_exit_begin_unwinding((int)sig);
    return py.long_from_long(first);
}

static bool not_ready;

/* sig * 2 + whether the shim's handler is now sig's Python disposition;
 * -1: the signal module is not set up yet (see arm) */
static PyObject *ours(PyObject *self, PyObject *arg)
{
    (void)self;
    long v = py.long_as_long(arg);
    if (v == -1)
        not_ready = true;
    int sig = (int)(v / 2);
    if (sig >= 1 && sig <= ME_MAXSIG) {
        if (v & 1)
            atomic_fetch_or(&me_python_signals, ME_SIGBIT(sig));
        else
            atomic_fetch_and(&me_python_signals, ~ME_SIGBIT(sig));
    }
    return py.long_from_long(0);
}


/* Run in the main thread with the GIL held. The wrappers keep the
 * program's view: getsignal() and signal()'s return value say SIG_DFL
 * while the shim's handler is installed; whatever the program installs
 * (its own handler, SIG_IGN, SIG_DFL) it gets, and the shim's is gone. */
static const char source[] =
    "def _multiexit(fired, ours, sigs):\n"
    "    import sys\n"
    "    _signal = sys.modules.get('_signal')\n"
    "    if _signal is None or not hasattr(_signal, 'SIG_DFL'):\n"
    "        return ours(-1)\n"
    "    real_signal, real_getsignal, DFL = _signal.signal, _signal.getsignal, _signal.SIG_DFL\n"
    "    def handler(signum, frame):\n"
    "        if fired(signum):\n"
    "            raise SystemExit(128 + signum)\n"
    "    def getsignal(signalnum):\n"
    "        h = real_getsignal(signalnum)\n"
    "        return DFL if h is handler else h\n"
    "    def signal(signalnum, handler_):\n"
    "        old = real_signal(signalnum, handler_)\n"
    "        ours(int(signalnum) * 2)\n"
    "        return DFL if old is handler else old\n"
    "    armed = False\n"
    "    for s in sigs:\n"
    "        if real_getsignal(s) == DFL:\n"
    "            real_signal(s, handler)\n"
    "            ours(s * 2 + 1)\n"
    "            armed = True\n"
    "    if armed:\n"
    "        for mine, real in ((getsignal, real_getsignal), (signal, real_signal)):\n"
    "            mine.__name__, mine.__qualname__, mine.__doc__ = real.__name__, real.__name__, real.__doc__\n"
    "        _signal.getsignal, _signal.signal = getsignal, signal\n"
    "_multiexit(multiexit_fired, multiexit_ours, (%s))\n";

static int arm(void *unused)
{
    (void)unused;
    char sigs[ME_MAXSIG * 4 + 1] = "", code[sizeof source + sizeof sigs];
    size_t n = 0;
    for (int sig = 1; sig <= ME_MAXSIG; sig++)
        if (me_is_managed(sig) && me_default_terminates(sig))
            n += (size_t)snprintf(sigs + n, sizeof sigs - n, "%d,", sig);
    if (n == 0)
        return 0;
    snprintf(code, sizeof code, source, sigs);
    PyObject *g = py.dict_new();
    if (!g) {
        py.err_clear();
        return 0;
    }
    /* the definitions outlive the functions made from them: in the mapping */
    struct py_state *st = atomic_load(&state_mem);
    st->fired_def = (struct py_method_def){"multiexit_fired", fired, PY_METH_O, NULL};
    st->ours_def = (struct py_method_def){"multiexit_ours", ours, PY_METH_O, NULL};
    PyObject *f = py.cfunction_new(&st->fired_def, NULL, NULL);
    PyObject *o = py.cfunction_new(&st->ours_def, NULL, NULL);
    PyObject *r = NULL;
    if (f && o && py.dict_set_item_string(g, "__builtins__", py.eval_get_builtins()) == 0 &&
        py.dict_set_item_string(g, "multiexit_fired", f) == 0 &&
        py.dict_set_item_string(g, "multiexit_ours", o) == 0)
        r = py.run_string(code, PY_FILE_INPUT, g, g, NULL);
    if (r)
        py.decref(r);
    else
        py.err_clear(); /* never an exception in the program's code */
    if (f)
        py.decref(f);
    if (o)
        py.decref(o);
    py.decref(g);
    if (not_ready) {
        /* Queued by an early call (a faulthandler set up on a managed
         * signal): importing _signal now would run its set-up before
         * CPython's own. The signal module's set-up asks for every
         * signal: the next call queues again. */
        not_ready = false;
        atomic_store(&me_python_state, FOUND);
        return 0;
    }
    if (me_cfg.verbose && atomic_load(&me_python_signals))
        me_log("pid %d: CPython: a managed signal raises SystemExit in the main thread, then "
               "the process dies by it", (int)me_sys_getpid());
    return 0;
}

void me_python_probe(void)
{
    int st = atomic_load(&me_python_state);
    if (st == ME_PY_DONE || me_in_handler() || me_in_vfork_child())
        return; /* not from a handler: neither dlsym nor the C API is safe there */
    if (!me_cfg.python) {
        atomic_store(&me_python_state, ME_PY_DONE);
        return;
    }
    if (st == ME_PY_UNDECIDED) {
        if (!me_main_started())
            return; /* a constructor's call: decide once main runs */
        if (!me_real_global("Py_AddPendingCall") || !look_up() || !interpreter_is_main()) {
            atomic_store(&me_python_state, ME_PY_DONE); /* not CPython's own main */
            return;
        }
        atomic_store(&me_python_state, FOUND);
    }
    /* The set-up's calls come from the main thread once it has a thread
     * state; the pending call then runs there, with the GIL. */
    if (me_sys_gettid() != me_sys_getpid() || !py.this_thread_state())
        return;
    int expect = FOUND;
    if (!atomic_compare_exchange_strong(&me_python_state, &expect, QUEUED))
        return;
    py.add_pending_call(arm, NULL);
    atomic_store(&me_python_state, ME_PY_DONE);
}

void me_python_delivered(int sig)
{
    pid_t pid = me_sys_getpid();
    if (me_sys_gettid() != pid)
        me_sys(SYS_tgkill, pid, pid, sig); /* wakes a blocking call: PEP 475 checks handlers */
}
