# SPDX-License-Identifier: MIT
# The CPython programs of tests/python_exit.sh (issue 24): an unmodified
# program, one mode per case. Usage: subject.py MODE
#
# Each mode prints "ready PID TID" (straight to fd 1) once it is in the
# state to be signalled (TID: the thread to signal; the main thread's
# unless said), and just before it "pending" into sys.stdout's buffer,
# WITHOUT a flush: it reaches the pipe only if the interpreter flushes
# sys.stdout later. Its hooks print markers, also without a flush:
# "finally", "with-exit <exception>", "atexit", and "logging-flushed" (a
# record held in a logging MemoryHandler since before "ready", written to
# stdout only by logging's shutdown).
import atexit
import logging
import logging.handlers
import os
import signal
import sys
import threading
import time

FLUSH = False  # hooks of modes that may never reach the final flush flush themselves


class With:
    def __enter__(self):
        return self

    def __exit__(self, t, v, tb):
        print("with-exit", t.__name__ if t else None, flush=FLUSH)
        return False


def hooks():
    atexit.register(lambda: print("atexit"))
    log = logging.getLogger("subject")
    log.setLevel(logging.INFO)
    log.propagate = False
    out = logging.StreamHandler(sys.stdout)
    out.setFormatter(logging.Formatter("%(message)s"))
    # held back until logging.shutdown() (an atexit function of logging's)
    log.addHandler(logging.handlers.MemoryHandler(1000, logging.CRITICAL, out))
    log.info("logging-flushed")


def ready(tid=None):
    print("pending")  # into sys.stdout's buffer, no flush
    # past the buffer: "pending" stays there whenever the signal comes
    os.write(1, b"ready %d %d\n" % (os.getpid(), tid or threading.get_native_id()))


def unwinding(block, tid=None):
    """The program's shape: a with and a try/finally around the blocking part."""
    with With():
        try:
            ready(tid)
            block()
        finally:
            print("finally", flush=FLUSH)


def sleep():
    time.sleep(120)


def busy():
    n = 0
    while True:
        n += 1


def mode_sleep():
    hooks()
    unwinding(sleep)


def mode_input():
    """Blocked in input(), whose prompt is the ready line (input() flushes
    stdout before it reads: no "pending" here)."""
    hooks()
    with With():
        try:
            input("ready %d %d\n" % (os.getpid(), threading.get_native_id()))  # stdin: a pipe kept open
        finally:
            print("finally")


def mode_accept():
    import socket

    hooks()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    unwinding(s.accept)


def mode_busy():
    hooks()
    unwinding(busy)


def mode_clong():
    import hashlib

    hooks()
    # calloc'd: untouched pages, all the kernel's zero page (no memory used)
    data = bytes(256 << 20)

    def hash_forever():
        # one C call after the other: the first some 0.7 s here (every page
        # faulted in), the next 0.2-0.3 s
        while True:
            hashlib.sha256(data)

    unwinding(hash_forever)


def mode_thread():
    """A non-daemon worker, stopped by the main thread's finally."""
    hooks()
    stop = threading.Event()

    def work():
        try:
            while not stop.wait(0.05):
                pass
        finally:
            print("worker-finally")

    w = threading.Thread(target=work)
    w.start()
    with With():
        try:
            ready()
            # not w.join(): a join that an exception interrupts marks the
            # thread as ended (CPython 3.11's bpo-45274 fix), the finally's
            # join then returns at once
            time.sleep(120)
        finally:
            stop.set()
            w.join()
            print("finally")


def mode_thread_stuck():
    """A non-daemon worker that never ends: the exit waits for it."""
    global FLUSH
    FLUSH = True
    hooks()

    def work():
        threading.Event().wait()

    threading.Thread(target=work).start()
    unwinding(sleep)


def mode_tgkill():
    """The signal goes to a daemon thread, the main thread sleeps."""
    hooks()
    started = threading.Event()
    ids = []

    def work():
        ids.append(threading.get_native_id())
        started.set()
        threading.Event().wait()

    threading.Thread(target=work, daemon=True).start()
    started.wait(30)
    unwinding(sleep, ids[0])


def mp_child(ev):
    try:
        ev.set()
        time.sleep(120)
    finally:
        print("child-finally")


def mode_mp(method):
    """The program terminates its own child once the test writes a line:
    no signal from the test."""
    import multiprocessing

    ctx = multiprocessing.get_context(method)
    ev = ctx.Event()
    p = ctx.Process(target=mp_child, args=(ev,))
    p.start()
    if not ev.wait(60):
        print("child never started", flush=True)
        p.kill()
        sys.exit(2)
    print("ready", os.getpid(), p.pid, flush=True)
    sys.stdin.readline()  # the test's go
    p.terminate()
    p.join(60)
    print("child-exitcode", p.exitcode, flush=True)


def mode_own_handler():
    hooks()

    def handler(signum, frame):
        print("own-handler", signum)
        sys.exit(3)

    signal.signal(signal.SIGTERM, handler)
    unwinding(sleep)


def mode_sig_dfl():
    hooks()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    unwinding(sleep)


def mode_sig_ign():
    """SIGTERM ignored: the program goes on and reads the line the test
    writes after the signal, then ends normally."""
    hooks()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    def line():
        print("got", input())

    unwinding(line)


def mode_sigint():
    """CPython's own SIGINT handler: KeyboardInterrupt, then death by SIGINT."""
    hooks()
    unwinding(sleep)


def mode_swallow():
    """SystemExit caught and dropped: only MULTIEXIT_TIMEOUT ends it."""
    first = True
    while True:
        try:
            if first:
                first = False
                ready()
            time.sleep(120)
        except BaseException as e:
            print("swallowed", type(e).__name__, flush=True)


def mode_asyncio():
    import asyncio

    hooks()

    async def main():
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def on_term():
            print("asyncio-handler")
            done.set_result(None)

        loop.add_signal_handler(signal.SIGTERM, on_term)
        ready()
        await done

    with With():
        try:
            asyncio.run(main())
        finally:
            print("finally")


def mode_getsignal():
    """What the program sees of SIGTERM's disposition, then SIGTERM: asking
    must not change what the signal does."""
    import _signal

    h = signal.getsignal(signal.SIGTERM)
    print("getsignal(SIGTERM) is SIG_DFL:", h is signal.SIG_DFL, repr(h))
    print("getsignal(SIGTERM) == SIG_DFL:", h == signal.SIG_DFL)
    h = _signal.getsignal(signal.SIGTERM)
    print("_signal.getsignal(SIGTERM):", repr(h), h is _signal.SIG_DFL)
    h = signal.getsignal(signal.SIGINT)
    print("getsignal(SIGINT) is default_int_handler:", h is signal.default_int_handler)
    print("getsignal(SIGHUP) is SIG_DFL:", signal.getsignal(signal.SIGHUP) is signal.SIG_DFL)
    for f in (signal.signal, signal.getsignal, _signal.signal, _signal.getsignal):
        print("name:", f.__name__, f.__qualname__)
    sys.stdout.flush()  # seen without the shim too
    hooks()
    unwinding(sleep)


def mode_signal_return():
    """signal.signal()'s return values; no signal: exits 0 once the test
    writes a line."""
    def mine(signum, frame):
        pass

    old = signal.signal(signal.SIGTERM, mine)
    print("signal() returned SIG_DFL:", old is signal.SIG_DFL, repr(old))
    print("getsignal is mine:", signal.getsignal(signal.SIGTERM) is mine)
    back = signal.signal(signal.SIGTERM, old)
    print("signal() returned mine:", back is mine)
    h = signal.getsignal(signal.SIGTERM)
    print("restored, getsignal is SIG_DFL:", h is signal.SIG_DFL, repr(h))
    old = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("SIG_IGN: previous is SIG_DFL:", old is signal.SIG_DFL)
    old = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print("SIG_DFL: previous is SIG_IGN:", old is signal.SIG_IGN)
    print("ready", os.getpid(), threading.get_native_id(), flush=True)
    sys.stdin.readline()


MODES = {
    "sleep": mode_sleep,
    "input": mode_input,
    "accept": mode_accept,
    "busy": mode_busy,
    "clong": mode_clong,
    "thread": mode_thread,
    "thread-stuck": mode_thread_stuck,
    "tgkill": mode_tgkill,
    "mp-fork": lambda: mode_mp("fork"),
    "mp-spawn": lambda: mode_mp("spawn"),
    "own-handler": mode_own_handler,
    "sig-dfl": mode_sig_dfl,
    "sig-ign": mode_sig_ign,
    "sigint": mode_sigint,
    "swallow": mode_swallow,
    "asyncio": mode_asyncio,
    "getsignal": mode_getsignal,
    "signal-return": mode_signal_return,
}

if __name__ == "__main__":
    MODES[sys.argv[1]]()
