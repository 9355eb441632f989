"""Known CPU split: leaf_a 60%, leaf_b 30%, leaf_c 10%, under a recursive
prefix.  The three leaves are the same code, so CPU time is proportional to
the iteration counts 6:3:1.  Stack depth at a leaf (Python frames, module
frame included) is --depth (27 by default; the "deep" workload is 400).
The amount of work is fixed by --rounds."""
import argparse

from _harness import counting_leaf, run

UNIT = 4000


leaf_a, leaf_b, leaf_c = (counting_leaf(name) for name in ("leaf_a", "leaf_b", "leaf_c"))


def recurse(depth, fn, n):
    if depth == 0:
        return fn(n)
    return recurse(depth - 1, fn, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--depth", type=int, default=27)
    ap.add_argument("--rounds", type=int, default=300)
    a = ap.parse_args()
    # <module>, main, run, bench_work, recurse x (k+1), leaf == depth
    k = a.depth - 6

    def bench_work():
        for _ in range(a.rounds):
            recurse(k, leaf_a, 6 * UNIT)
            recurse(k, leaf_b, 3 * UNIT)
            recurse(k, leaf_c, 1 * UNIT)

    run(bench_work, depth=a.depth, rounds=a.rounds)


if __name__ == "__main__":
    main()
