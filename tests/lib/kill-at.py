#!/usr/bin/env python3
# kill-at.py DIR COUNT PID: SIGKILL process PID as soon as the Maildirs
# under DIR hold COUNT message files (in cur/ or new/), or at once if it
# has already ended; gives up waiting after 120 seconds.  The kill tests
# (tests/cli/runs.sh) use it so that a kill lands in the middle of an
# export whatever the machine's speed, where a random sleep could land
# before the first or after the last message on a fast or a slow machine.
import os
import signal
import sys
import time

root, want, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])


def count():
    n = 0
    for d, _, files in os.walk(root):
        if os.path.basename(d) in ("cur", "new"):
            n += len(files)
    return n


def alive():
    try:
        # a zombie (ended, not yet reaped by the shell) still answers
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


end = time.time() + 120
while time.time() < end and alive() and count() < want:
    time.sleep(0.001)
try:
    os.kill(pid, signal.SIGKILL)
except ProcessLookupError:
    pass
