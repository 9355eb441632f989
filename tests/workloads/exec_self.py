"""Busy in before_exec until SIGUSR1, then execs the same interpreter on
this file again, where it is busy in after_exec: one PID, two programs."""
import os
import signal
import sys

go = []


def before_exec():
    x = 0
    while not go:
        x += 1


def after_exec():
    x = 0
    while True:
        x += 1


if sys.argv[1:] == ["again"]:
    after_exec()
signal.signal(signal.SIGUSR1, lambda *_: go.append(1))
print("ready", flush=True)
before_exec()
os.execv(sys.executable, [sys.executable, __file__, "again"])
