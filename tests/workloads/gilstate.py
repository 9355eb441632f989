"""A native thread (tests/workloads/gilstate_churn.c, argv[1]) calls back
into Python through ctypes, again and again: every call takes a fresh
thread state and frees it on return.  churn_busy does the work.  Every
100 calls the native thread's CPU time in churn_busy and in all, and its
tid, go to argv[2] (the main thread waits in C and handles no signals)."""
import ctypes
import os
import sys
import threading
import time

native_cpu = [0.0, 0.0, 0, 0]   # in churn_busy, all, tid, calls


def churn_busy():
    x = 0
    for i in range(30000): x += i  # CHURN-HOT
    return x  # CHURN-RETURN


def callback(i):
    start = time.thread_time()
    churn_busy()
    now = time.thread_time()
    native_cpu[0] += now - start
    native_cpu[1] = now
    native_cpu[2] = threading.get_native_id()
    native_cpu[3] += 1
    if native_cpu[3] % 100 == 0:
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write("%f %f %d %d\n" % tuple(native_cpu))
        os.replace(sys.argv[2] + ".tmp", sys.argv[2])


lib = ctypes.CDLL(sys.argv[1])
libc = ctypes.CDLL(None)
CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int)
cb = CALLBACK(callback)
create = ctypes.cast(libc.pthread_create, ctypes.c_void_p)
join = ctypes.cast(libc.pthread_join, ctypes.c_void_p)
print("ready", flush=True)
lib.gilstate_churn(create, join, cb, 1 << 30)
