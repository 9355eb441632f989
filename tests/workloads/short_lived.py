"""Busy for argv[1] seconds, then exits by itself."""
import sys
import time


def busy_until(deadline):
    x = 0
    while time.monotonic() < deadline:
        x += 1  # BUSY
    return x


print("ready", flush=True)
busy_until(time.monotonic() + float(sys.argv[1]))
