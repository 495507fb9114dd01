# SPDX-License-Identifier: MIT
# Runs a command as its parent sees it, for tests/python_exit.sh: prints
# "exit N" last, N being subprocess's returncode (-15: killed by SIGTERM,
# 143: exited with 143), or "exit hung" after SECONDS (the command's process
# group is then killed). Usage: waiter.py SECONDS COMMAND...
# The command gets a process group of its own (so that nothing it starts
# outlives a hang) and SIGINT/SIGQUIT at their default (a background job of
# a non-interactive shell ignores them).
import os
import signal
import subprocess
import sys

signal.signal(signal.SIGINT, signal.SIG_DFL)
signal.signal(signal.SIGQUIT, signal.SIG_DFL)
p = subprocess.Popen(sys.argv[2:], preexec_fn=os.setpgrp)
try:
    rc = p.wait(float(sys.argv[1]))
except subprocess.TimeoutExpired:
    rc = "hung"
# whatever the command left in its group (a hang, or a child of a command
# that died at once) goes with it
try:
    os.killpg(p.pid, signal.SIGKILL)
except OSError:
    pass
if rc == "hung":
    p.wait()
print("exit", rc, flush=True)
