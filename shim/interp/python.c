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
 * a pending call is queued, which installs the handler (a built-in
 * function, written here in C) and wraps _signal.getsignal and
 * _signal.signal so that the program still sees SIG_DFL.
 * An interpreter embedded in a program with a main loop of its
 * own (Py_BytesMain/Py_Main not running) is left alone: the C path applies
 * to it as before, at once. */
#include "python.h"

#include <dlfcn.h>
#include <link.h>
#include <signal.h>
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
_Atomic uint64_t *_Atomic me_python_mem; /* a struct py_state, below */

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
#define PY_METH_VARARGS 0x0001
#define PY_METH_O 0x0008

/* The C API used, in the order of names below. */
struct py_api {
    int (*add_pending_call)(int (*)(void *), void *);
    void *(*this_thread_state)(void);
    PyObject *(*module_dict)(void);
    PyObject *(*dict_get)(PyObject *, const char *);
    PyObject *(*get_attr)(PyObject *, const char *);
    int (*set_attr)(PyObject *, const char *, PyObject *);
    PyObject *(*call_args)(PyObject *, ...);
    PyObject *(*call)(PyObject *, PyObject *, PyObject *);
    int (*compare)(PyObject *, PyObject *, int);
    PyObject *(*tuple_get)(PyObject *, ssize_t);
    PyObject *(*cfunction_new)(struct py_method_def *, PyObject *, PyObject *);
    const char *(*utf8)(PyObject *);
    long (*long_as_long)(PyObject *);
    PyObject *(*long_from_long)(long);
    void (*set_error)(PyObject *, PyObject *);
    PyObject **system_exit; /* a variable: PyExc_SystemExit */
    void (*incref)(PyObject *);
    void (*decref)(PyObject *);
    void (*err_clear)(void);
};
/* One string, no table of pointers: a relocated table would cost every
 * process a page of its own (tests/test_footprint.c). */
static const char api_names[] =
    "Py_AddPendingCall\0PyGILState_GetThisThreadState\0PyImport_GetModuleDict\0"
    "PyDict_GetItemString\0PyObject_GetAttrString\0PyObject_SetAttrString\0"
    "PyObject_CallFunctionObjArgs\0PyObject_Call\0PyObject_RichCompareBool\0PyTuple_GetItem\0"
    "PyCFunction_NewEx\0PyUnicode_AsUTF8\0PyLong_AsLong\0PyLong_FromLong\0PyErr_SetObject\0"
    "PyExc_SystemExit\0Py_IncRef\0Py_DecRef\0PyErr_Clear\0";
#define PY_EQ 2

/* Mapped once CPython is found: nothing in the library's data for it. The
 * method definitions outlive the functions made from them. */
struct py_state {
    _Atomic uint64_t signals; /* first: python.h reads it as me_python_mem */
    struct py_api api;
    struct py_method_def handler_def, getsignal_def, signal_def;
    PyObject *handler, *real_signal, *real_getsignal, *dfl;
    char getsignal_doc[2048], signal_doc[2048];
};
#define ST ((struct py_state *)atomic_load_explicit(&me_python_mem, memory_order_relaxed))
#define py (ST->api)

static bool look_up(void)
{
    struct py_state *st = me_map_once((void *_Atomic *)&me_python_mem, sizeof *st, 0);
    if (!st)
        return false;
    _Static_assert(sizeof st->api % sizeof(void *) == 0, "struct py_api: pointers only");
    void **slot = (void **)&st->api;
    const char *name = api_names;
    for (size_t i = 0; i < sizeof st->api / sizeof(void *); i++, name += strlen(name) + 1) {
        const ElfW(Sym) *sym;
        slot[i] = me_real_global_sym(name, &sym);
        if (!slot[i])
            return false;
    }
    return true;
}

/* Where the function name (a definition the dynamic linker would bind an
 * ordinary reference to) lies: from its symbol's size, or dladdr1's where
 * the objects loaded at start-up do not hold it (dladdr1 searches the whole
 * symbol table of the object: two thirds of what the shim cost a CPython
 * start-up). */
static bool extent(const char *name, uintptr_t *lo, uintptr_t *hi)
{
    const ElfW(Sym) *sym = NULL;
    void *f = me_real_global_sym(name, &sym);
    if (f && !sym) {
        /* dladdr1's only version is a later one than the shim's other needs */
        int (*dladdr1_fn)(const void *, Dl_info *, void **, int) = me_real_global("dladdr1");
        Dl_info info;
        if (!dladdr1_fn || !dladdr1_fn(f, &info, (void **)&sym, RTLD_DL_SYMENT))
            sym = NULL;
    }
    if (!f || !sym)
        return false;
    *lo = (uintptr_t)f;
    *hi = (uintptr_t)f + sym->st_size;
    return true;
}

/* Is the interpreter's own main function running on this (the main)
 * thread? A return address into Py_BytesMain, Py_Main or Py_RunMain is on
 * the stack between here and the frame that called main. An embedder's main loop calls none
 * of them. */
static bool interpreter_is_main(void)
{
    uintptr_t *p = (uintptr_t *)__builtin_frame_address(0), *end = me_main_frame();
    if (!end || p >= end)
        return false;
    static const char mains[] = "Py_BytesMain\0Py_Main\0Py_RunMain";
    uintptr_t lo[3] = {0}, hi[3] = {0};
    const char *name = mains;
    for (int i = 0; i < 3; i++, name += strlen(name) + 1)
        (void)extent(name, &lo[i], &hi[i]); /* left 0..0 where not found */
    for (; p < end; p++)
        for (int i = 0; i < 3; i++)
            if (*p > lo[i] && *p < hi[i])
                return true;
    return false;
}

/* ---- the Python-level functions, in C (compiling Python source at
 * every start cost CPython 5% of its start-up) ---- */

static void set_ours(int sig, bool ours)
{
    if (sig < 1 || sig > ME_MAXSIG)
        return;
    if (ours)
        atomic_fetch_or(&ST->signals, ME_SIGBIT(sig));
    else
        atomic_fetch_and(&ST->signals, ~ME_SIGBIT(sig));
}

/* The handler: its first call for this process raises SystemExit(128 +
 * sig); later ones (the unwinding under way) do nothing. */
static PyObject *handler(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *s = py.tuple_get(args, 0);
    long sig = s ? py.long_as_long(s) : -1;
    if (sig > 0 && sig <= ME_MAXSIG && me_exit_begin_unwinding((int)sig)) {
        PyObject *code = py.long_from_long(128 + sig);
        py.set_error(*py.system_exit, code);
        if (code)
            py.decref(code);
        return NULL;
    }
    if (sig == -1)
        py.err_clear();
    return py.long_from_long(0);
}

/* The program's view: the shim's handler reads as SIG_DFL. */
static PyObject *as_seen(PyObject *h)
{
    if (h != ST->handler)
        return h;
    py.decref(h);
    py.incref(ST->dfl);
    return ST->dfl;
}

static PyObject *getsignal(PyObject *self, PyObject *signalnum)
{
    (void)self;
    PyObject *h = py.call_args(ST->real_getsignal, signalnum, NULL);
    return h ? as_seen(h) : NULL;
}

static PyObject *set_signal(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *old = py.call(ST->real_signal, args, NULL);
    if (!old)
        return NULL;
    PyObject *s = py.tuple_get(args, 0);
    long sig = s ? py.long_as_long(s) : -1;
    if (sig == -1)
        py.err_clear();
    set_ours((int)sig, false); /* whatever the program installs replaces the shim's */
    return as_seen(old);
}

/* The wrapper's doc: the real function's signature and text, so that
 * help() and inspect.signature() read the same. */
static const char *doc_of(PyObject *real, const char *name, char *buf, size_t n)
{
    PyObject *sig = py.get_attr(real, "__text_signature__"), *doc = py.get_attr(real, "__doc__");
    const char *s = sig ? py.utf8(sig) : NULL, *d = doc ? py.utf8(doc) : NULL;
    if (!sig || !doc || !s || !d)
        py.err_clear();
    /* name + signature + "\n--\n\n" + doc, as the C API writes a doc
     * (by hand: snprintf would be one more libc symbol for every process) */
    const char *parts[] = {s ? name : "", s ? s : "", s ? "\n--\n\n" : "", d ? d : ""};
    size_t len = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        size_t k = strlen(parts[i]);
        if (k > n - 1 - len)
            k = n - 1 - len;
        memmove(buf + len, parts[i], k);
        len += k;
    }
    buf[len] = 0;
    if (sig)
        py.decref(sig);
    if (doc)
        py.decref(doc);
    return buf;
}

/* Run in the main thread with the GIL held (a pending call): for each
 * managed signal that terminates by default and whose Python-level
 * handler is SIG_DFL, installs the shim's; then wraps _signal.getsignal
 * and _signal.signal (which signal.getsignal and signal.signal call) so
 * that the program still sees SIG_DFL, and gets whatever it installs. */
static bool arm_signals(struct py_state *st, PyObject *m)
{
    st->real_signal = py.get_attr(m, "signal");
    st->real_getsignal = py.get_attr(m, "getsignal");
    st->dfl = py.get_attr(m, "SIG_DFL");
    PyObject *module_name = py.get_attr(m, "__name__");
    if (!st->real_signal || !st->real_getsignal || !st->dfl || !module_name)
        return false; /* (what was got is kept: the module's own, for good) */
    st->handler_def = (struct py_method_def){"multiexit_handler", handler, PY_METH_VARARGS, NULL};
    st->handler = py.cfunction_new(&st->handler_def, NULL, module_name);
    if (!st->handler)
        return false;
    bool armed = false;
    for (int sig = 1; sig <= ME_MAXSIG; sig++) {
        if (!me_is_managed(sig) || !me_default_terminates(sig))
            continue;
        PyObject *n = py.long_from_long(sig), *cur = n ? py.call_args(st->real_getsignal, n, NULL) : NULL;
        if (cur && py.compare(cur, st->dfl, PY_EQ) == 1) {
            PyObject *r = py.call_args(st->real_signal, n, st->handler, NULL);
            if (r) {
                py.decref(r);
                set_ours(sig, true);
                armed = true;
            }
        }
        py.err_clear();
        if (cur)
            py.decref(cur);
        if (n)
            py.decref(n);
    }
    if (!armed)
        return true;
    st->getsignal_def = (struct py_method_def){
        "getsignal", getsignal, PY_METH_O,
        doc_of(st->real_getsignal, "getsignal", st->getsignal_doc, sizeof st->getsignal_doc)};
    st->signal_def = (struct py_method_def){
        "signal", set_signal, PY_METH_VARARGS,
        doc_of(st->real_signal, "signal", st->signal_doc, sizeof st->signal_doc)};
    /* bound to the module, as the real ones: "$module" leaves the signature */
    PyObject *gs = py.cfunction_new(&st->getsignal_def, m, module_name);
    PyObject *ss = py.cfunction_new(&st->signal_def, m, module_name);
    if (gs && ss) {
        py.set_attr(m, "getsignal", gs);
        py.set_attr(m, "signal", ss);
    }
    if (gs)
        py.decref(gs);
    if (ss)
        py.decref(ss);
    return true;
}

static int arm(void *unused)
{
    (void)unused;
    PyObject *modules = py.module_dict();
    PyObject *m = modules ? py.dict_get(modules, "_signal") : NULL; /* borrowed */
    PyObject *dfl = m ? py.get_attr(m, "SIG_DFL") : NULL;
    py.err_clear();
    if (!dfl) {
        /* Queued by an early call (a faulthandler set up on a managed
         * signal): importing _signal now would run its set-up before
         * CPython's own. The signal module's set-up asks for every
         * signal: the next call queues again. */
        atomic_store(&me_python_state, FOUND);
        return 0;
    }
    py.decref(dfl);
    if (!arm_signals(ST, m))
        atomic_store(&ST->signals, 0);
    py.err_clear(); /* never an exception in the program's code */
    if (me_cfg.verbose && atomic_load(&ST->signals))
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
