"""Wall-clock mode: one thread on the CPU, one sleeping in time.sleep, one
blocked reading a pipe nobody writes to.  Lines marked SPIN/SLEEP/READ are
asserted."""
import os
import threading
import time


def spin_forever():
    x = 0
    while True:
        x += 1  # SPIN


def sleep_forever():
    while True:
        time.sleep(0.05)  # SLEEP


def read_pipe(fd):
    os.read(fd, 1)  # READ


def main():
    r, _w = os.pipe()
    threads = [threading.Thread(target=spin_forever, name="cpu_worker", daemon=True),
               threading.Thread(target=sleep_forever, name="sleeper", daemon=True),
               threading.Thread(target=read_pipe, args=(r,), name="reader", daemon=True)]
    for t in threads:
        t.start()
    print("ready", flush=True)
    print(" ".join(str(t.native_id) for t in threads), flush=True)
    threads[2].join()


if __name__ == "__main__":
    main()
