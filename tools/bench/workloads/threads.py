"""Four CPU-bound threads with a fixed amount of work each, 4:3:2:1, in
four functions that share one body (work_0 .. work_3).  Whatever the GIL
does, each thread's CPU time is proportional to its work, so the known CPU
split is 40/30/20/10 across work_0..work_3.  The main thread only joins."""
import argparse
import threading
import time

from _harness import counting_leaf, run

UNIT = 4000


work_0, work_1, work_2, work_3 = (counting_leaf(f"work_{i}") for i in range(4))


THREAD_WALL = []


def bench_thread(fn, reps):
    t0 = time.perf_counter()
    for _ in range(reps):
        fn(10 * UNIT)
    THREAD_WALL.append(time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=100)
    a = ap.parse_args()

    def bench_work():
        ts = [threading.Thread(target=bench_thread, args=(fn, a.reps * w), name=fn.__name__)
              for fn, w in ((work_0, 4), (work_1, 3), (work_2, 2), (work_3, 1))]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    # the wall time each worker thread was alive (for wall-mode profilers)
    run(bench_work, threads=4, reps=a.reps, thread_wall_s=THREAD_WALL)


if __name__ == "__main__":
    main()
