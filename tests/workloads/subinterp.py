"""A thread runs code in a sub-interpreter (3.12+), busy in sub_busy for
argv[1] seconds of its CPU time, then back in the main interpreter busy in
after_sub; the main thread is busy in main_busy.  A thread has a thread state
in each interpreter it entered: samples must follow the one it runs in."""
import sys
import threading
try:
    import _interpreters as interpreters            # 3.13+
    def run(interp, code): interpreters.exec(interp, code)
except ImportError:
    import _xxsubinterpreters as interpreters       # 3.12
    def run(interp, code): interpreters.run_string(interp, code)

CODE = """
import time
def sub_busy():
    x, end = 0, time.thread_time() + %s
    while time.thread_time() < end:
        for i in range(10000): x += i
sub_busy()
""" % float(sys.argv[1])


def after_sub():
    x = 0
    while True:
        for i in range(10000): x += i


def worker():
    interp = interpreters.create()
    run(interp, CODE)
    interpreters.destroy(interp)
    after_sub()


def main_busy():
    x = 0
    while True:
        for i in range(10000): x += i


threading.Thread(target=worker, daemon=True).start()
print("ready", flush=True)
main_busy()
