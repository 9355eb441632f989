"""A test suite run by pytest, in-process, --rounds times: stacks of
~45 frames through pytest, pluggy and the code under test (suite/), as
when a project's tests are profiled.  Needs pytest (Debian's
python3-pytest; `make bench-deps` installs it)."""
import argparse
import os
import sys

from _harness import run

SUITE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "suite")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args()
    import pytest
    sys.path.insert(0, SUITE)
    args = ["-q", "-p", "no:cacheprovider", "--rootdir", SUITE, SUITE]

    def bench_work():
        for _ in range(a.rounds):
            with open(os.devnull, "w") as quiet:
                stdout, sys.stdout = sys.stdout, quiet
                try:
                    code = pytest.main(args)
                finally:
                    sys.stdout = stdout
            if code != 0:
                sys.exit("the suite failed: pytest exit code %s" % code)

    run(bench_work, rounds=a.rounds)


if __name__ == "__main__":
    main()
