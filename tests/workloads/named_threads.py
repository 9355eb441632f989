"""Threads named by threading, and one started without it, burning CPU in
their own functions for pybpf's thread names: "alpha-worker" keeps its
attributes as the class laid them out, "beta-worker-with-a-long-name-over-15"
has had its __dict__ asked for (3.11+ then keep a dict of their own), and
the _thread one is unknown to threading (it keeps the OS name)."""
import _thread
import threading
import time

from spin import spin


def alpha_work():
    spin(1e18)


def beta_work():
    spin(1e18)


def raw_work():
    spin(1e18)


alpha = threading.Thread(target=alpha_work, name="alpha-worker", daemon=True)
beta = threading.Thread(target=beta_work, name="beta-worker-with-a-long-name-over-15",
                        daemon=True)
alpha.start()
beta.start()
vars(beta)
_thread.start_new_thread(raw_work, ())
print("ready", flush=True)
while True:
    time.sleep(1000)
