"""A thread, started by SIGUSR1, runs Python in the main interpreter
(before_sub), then code in a sub-interpreter (3.12+: sub_busy), then in the
main interpreter again (after_sub), each for argv[1] seconds of its own CPU
time; it prints "after" once after_sub has run that long.  The main thread
is busy in main_busy throughout.  A thread has a thread state in each
interpreter it entered: samples must follow the one it runs in, whichever
one was found for it before."""
import signal
import sys
import threading
import time
try:
    import _interpreters as interpreters            # 3.13+
    def run(interp, code): interpreters.exec(interp, code)
except ImportError:
    import _xxsubinterpreters as interpreters       # 3.12
    def run(interp, code): interpreters.run_string(interp, code)

SECONDS = float(sys.argv[1])
CODE = """
import time
def sub_busy():
    x, end = 0, time.thread_time() + %s
    while time.thread_time() < end:
        for i in range(10000): x += i
sub_busy()
""" % SECONDS


def before_sub():
    x, end = 0, time.thread_time() + SECONDS
    while time.thread_time() < end:
        for i in range(10000): x += i


def after_sub():
    x, end, told = 0, time.thread_time() + SECONDS, False
    while True:
        for i in range(10000): x += i
        if not told and time.thread_time() >= end:
            print("after", flush=True)
            told = True


def worker():
    go.wait()
    before_sub()
    interp = interpreters.create()
    run(interp, CODE)
    interpreters.destroy(interp)
    after_sub()


def main_busy():
    x = 0
    while True:
        for i in range(10000): x += i


go = threading.Event()
signal.signal(signal.SIGUSR1, lambda *_: go.set())
threading.Thread(target=worker, daemon=True).start()
print("ready", flush=True)
main_busy()
