"""A program with one known hotspot, and the same program with it fixed
(--fixed), for `pybpf diff`: each round looks up keys in a table; as shipped
the lookup scans a list (find_slowly, most of the time), fixed it uses a
dict (find_quickly).  Both also do the same fixed work (steady_work), so
the two runs share most of their functions."""
import sys
import time

KEYS = list(range(3000))
TABLE = {k: k * 2 for k in KEYS}
PAIRS = list(TABLE.items())


def find_slowly(key):
    for k, v in PAIRS:  # SLOW-SCAN
        if k == key:
            return v
    return None


def find_quickly(key):
    return TABLE.get(key)


def steady_work(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        x += 1  # STEADY
    return x


def lookups(find, seconds):
    end = time.thread_time() + seconds
    n = 0
    while time.thread_time() < end:
        n += find(KEYS[n % len(KEYS)]) is not None
    return n


def main():
    find = find_quickly if "--fixed" in sys.argv else find_slowly
    print("ready", flush=True)
    while True:
        # As shipped: 60% of the CPU in lookups (nearly all of it scanning).
        # Fixed: the same lookups take a moment, steady_work the rest.
        lookups(find, 0.06)
        steady_work(0.04)


if __name__ == "__main__":
    main()
