#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A Python program that cleans up in atexit and finally, and has no
# SIGTERM handler: killed by SIGTERM, it runs neither without the shim.
import atexit
import sys
import time


@atexit.register
def goodbye():
    print("atexit: removed the lock file", flush=True)


try:
    print("ready", flush=True)
    time.sleep(60)
finally:
    print("finally: closed the database", flush=True)
