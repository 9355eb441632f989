"""Busy for argv[1] seconds, then exits by itself; with --after-usr1, for
argv[1] seconds from a SIGUSR1 (busy until then), so that a test can let
it end only once the profiler has attached, however slow the machine."""
import signal
import sys
import time

deadline = float("inf") if "--after-usr1" in sys.argv else time.monotonic() + float(sys.argv[1])


def start(*_):
    global deadline
    deadline = time.monotonic() + float(sys.argv[1])


def busy_until():
    x = 0
    while time.monotonic() < deadline:
        x += 1  # BUSY
    return x


signal.signal(signal.SIGUSR1, start)
print("ready", flush=True)
busy_until()
