"""argv[1] Python threads that wait, started before the two that work: the
main thread (main_busy) and the newest thread (worker_busy) take turns with
the GIL.  New thread states go at the head of the interpreter's list, so
the main thread's is the last of argv[1] + 2.  Every 50 ms the CPU time
each busy thread has used goes to argv[2], then the worker's native id."""
import _thread
import os
import sys
import threading
import time

# _thread, not threading: no start-up handshake per thread (100,000 start in
# seconds, not minutes).  Each waits on a lock that is never released.
try:
    threading.stack_size(64 * 1024)
except ValueError:
    threading.stack_size(128 * 1024)  # debug builds of 3.14+ want 100 KiB at least
gate = _thread.allocate_lock()
gate.acquire()
for _ in range(int(sys.argv[1])):
    _thread.start_new_thread(gate.acquire, ())

cpu = {"main": 0.0, "worker": 0.0, "worker_tid": 0}


def spin(name):
    x, start = 0, time.thread_time()
    while True:
        for i in range(10000): x += i
        cpu[name] = time.thread_time() - start


def worker_busy():
    cpu["worker_tid"] = threading.get_native_id()
    spin("worker")


def main_busy():
    next_report = 0.0
    x, start = 0, time.thread_time()
    while True:
        for i in range(10000): x += i
        cpu["main"] = time.thread_time() - start
        if time.monotonic() >= next_report:
            next_report = time.monotonic() + 0.05
            with open(sys.argv[2] + ".tmp", "w") as f:
                f.write("%f %f %d\n" % (cpu["main"], cpu["worker"], cpu["worker_tid"]))
            os.replace(sys.argv[2] + ".tmp", sys.argv[2])


threading.Thread(target=worker_busy, daemon=True).start()
print("ready", flush=True)
main_busy()
