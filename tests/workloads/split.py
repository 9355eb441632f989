"""Known CPU split: leaf_a 60%, leaf_b 30%, leaf_c 10%, under a 21-deep
recursive prefix.  Each leaf spins until it has used its share of a 100 ms
cycle of this thread's CPU time, so the split is exact whatever the speed of
the machine, and the cycle is long enough not to alias with the sampling
period (a short fixed iteration count did: a 1.6 ms cycle against a 1 ms
period gave leaf_a 63%).  A leaf looks at its clock every CHUNK additions
and so overruns its share by up to a chunk, the same time for each leaf,
which pulls the shares together: small enough that this stays far below
the tests' tolerance on a slow machine too.  A chunk of 10,000 took
0.25 ms on the host and 2.9 ms in make kernels' emulated 5.10 guest (the
host busy): up to a chunk more for each leaf, the likely cause of
leaf_a's 60% once coming out at 55.5% there, beside two CPU hogs.  A
chunk of 1,000: 0.28 ms in that guest, against 3 us for a clock read.
A leaf spends its time on two lines, HOT-x and LOOP-x (and a moment on
its others); how it divides between them depends on what a clock read costs on the machine, so tests assert that every leaf
sample is on one of the leaf's lines, with more on HOT-x (a thousand
additions against one clock read)."""
import time

CYCLE = 0.100
CHUNK = 1000


def leaf_a(seconds):
    x, end = 0, time.thread_time() + seconds
    while time.thread_time() < end:  # LOOP-A
        for i in range(CHUNK): x += i  # HOT-A
    return x


def leaf_b(seconds):
    x, end = 0, time.thread_time() + seconds
    while time.thread_time() < end:  # LOOP-B
        for i in range(CHUNK): x += i  # HOT-B
    return x


def leaf_c(seconds):
    x, end = 0, time.thread_time() + seconds
    while time.thread_time() < end:  # LOOP-C
        for i in range(CHUNK): x += i  # HOT-C
    return x


def recurse(depth, fn, arg):
    if depth == 0:
        return fn(arg)  # CALL-LEAF
    return recurse(depth - 1, fn, arg)  # CALL-RECURSE


def main():
    print("ready", flush=True)
    while True:
        recurse(20, leaf_a, 0.6 * CYCLE)  # CALL-A
        recurse(20, leaf_b, 0.3 * CYCLE)  # CALL-B
        recurse(20, leaf_c, 0.1 * CYCLE)  # CALL-C


if __name__ == "__main__":
    main()
