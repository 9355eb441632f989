"""Three CPU-bound threads, each in its own function, plus an idle main thread."""
import threading


def spin(n):
    x = 0
    for i in range(n): x += i
    return x


def worker_alpha():
    while True:
        spin(1000)  # ALPHA


def worker_beta():
    while True:
        spin(1000)  # BETA


def worker_gamma():
    while True:
        spin(1000)  # GAMMA


threads = [threading.Thread(target=f, name=f.__name__, daemon=True)
           for f in (worker_alpha, worker_beta, worker_gamma)]
for t in threads:
    t.start()
print("ready", flush=True)
threading.Event().wait()
