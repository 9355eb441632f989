"""Many threads running Python at once, all in one shared function.

Free-threaded builds run them in parallel (no GIL); every worker calls the
same hot function from a line of its own, so each thread's stack is known
exactly: worker_N (at its CALL-N line) -> shared_hot (at HOT or LOOP).  On
3.14t+ the threads specialise shared_hot each in its own copy of the
bytecode (thread-local bytecode), which is what a sampler must map back to
the right lines.  argv[1]: how many workers (at most 8)."""
import sys
import threading


def shared_hot(n):
    x = 0
    for i in range(n):  # LOOP
        x += i * i  # HOT
    return x


def worker_0():
    while True:
        shared_hot(2000)  # CALL-0


def worker_1():
    while True:
        shared_hot(2000)  # CALL-1


def worker_2():
    while True:
        shared_hot(2000)  # CALL-2


def worker_3():
    while True:
        shared_hot(2000)  # CALL-3


def worker_4():
    while True:
        shared_hot(2000)  # CALL-4


def worker_5():
    while True:
        shared_hot(2000)  # CALL-5


def worker_6():
    while True:
        shared_hot(2000)  # CALL-6


def worker_7():
    while True:
        shared_hot(2000)  # CALL-7


WORKERS = [worker_0, worker_1, worker_2, worker_3, worker_4, worker_5, worker_6, worker_7]
count = int(sys.argv[1]) if len(sys.argv) > 1 else len(WORKERS)
threads = [threading.Thread(target=f, name=f.__name__, daemon=True) for f in WORKERS[:count]]
for t in threads:
    t.start()
print("ready", flush=True)
threading.Event().wait()
