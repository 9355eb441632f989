"""A chain of --length distinct functions over a CPU-bound leaf: every frame
of the stack is a different code object, as in real programs (the recursive
workloads repeat one).  The chain is tests/workloads/distinct_chain.py's
(copied beside this file in the benchmark's chroot).  Stack depth at the
leaf (Python frames, module frame included) is --length + 5."""
import argparse
import os
import sys

from _harness import counting_leaf, run

sys.path.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "workloads"))
from distinct_chain import make_chain  # noqa: E402

UNIT = 4000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--length", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=300)
    a = ap.parse_args()
    chain = make_chain(a.length, counting_leaf("leaf"))

    def bench_work():
        for _ in range(a.rounds):
            chain(10 * UNIT)

    run(bench_work, length=a.length, rounds=a.rounds)


if __name__ == "__main__":
    main()
