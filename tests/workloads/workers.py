"""A parent and two multiprocessing workers, each burning CPU in its own
function for argv[1] seconds; exits with code 3 so the launcher's exit code
can be checked.  argv[2] picks the start method (fork, spawn, forkserver)."""
import multiprocessing
import sys
import time

from spin import spin


def worker_one(seconds):
    spin(time.monotonic() + seconds)  # WORKER-ONE


def worker_two(seconds):
    spin(time.monotonic() + seconds)  # WORKER-TWO


def parent_work(seconds):
    spin(time.monotonic() + seconds)  # PARENT


if __name__ == "__main__":
    seconds = float(sys.argv[1])
    ctx = multiprocessing.get_context(sys.argv[2] if len(sys.argv) > 2 else "fork")
    workers = [ctx.Process(target=f, args=(seconds,)) for f in (worker_one, worker_two)]
    for w in workers:
        w.start()
    parent_work(seconds)
    for w in workers:
        w.join()
    sys.exit(3)
