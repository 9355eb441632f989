"""Threads in three states for `pybpf dump`: sleeping, blocked reading a
pipe, and burning CPU; the main thread waits in a sleep of its own."""
import os
import threading
import time


def sleeper():
    while True:
        time.sleep(10)  # SLEEP


def reader(fd):
    os.read(fd, 1)  # READ


def spinner():
    x = 0
    while True: x += 1  # SPIN


r, w = os.pipe()
threading.Thread(target=sleeper, daemon=True).start()
threading.Thread(target=reader, args=(r,), daemon=True).start()
threading.Thread(target=spinner, daemon=True).start()
print("ready", flush=True)
time.sleep(1000)  # MAIN
