"""Thread churn: argv[2] seconds after "ready", 1000 threads are started
and joined, 20 alive at a time, each running for 1 ms of CPU; then how many were
started goes to the file argv[1], and the main thread spins until killed."""
import sys
import threading
import time

TOTAL, AT_ONCE = 1000, 20


def short_lived():
    end = time.thread_time() + 0.001
    while time.thread_time() < end:
        pass


print("ready", flush=True)
time.sleep(float(sys.argv[2]))
started = 0
while started < TOTAL:
    batch = [threading.Thread(target=short_lived) for _ in range(AT_ONCE)]
    for t in batch:
        t.start()
    for t in batch:
        t.join()
    started += len(batch)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % started)
while True:
    pass
