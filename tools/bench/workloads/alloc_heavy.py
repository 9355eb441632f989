"""An allocation-heavy run for --mode memory's cost (issue 21): three
rounds of 400,000 small objects and 160 MiB of 1 MiB buffers, each
round's kept until the next replaces it, so the process grows, shrinks
and grows again.  Prints its own run time in seconds as its last line.

Its functions carry memory_profiler's @profile when that runs it
(`python3 -m memory_profiler`, which puts `profile` in the builtins)."""
import time

try:
    profile  # noqa: B018  (memory_profiler's, when it runs this)
except NameError:
    def profile(fn):
        return fn


@profile
def small_objects(n):
    kept = []
    for i in range(n):
        kept.append("%030d" % i)
    return kept


@profile
def buffers(mib):
    return [b"b" * (1 << 20) for _ in range(mib)]


def main():
    start = time.perf_counter()
    kept = None
    for _ in range(3):
        kept = None
        kept = (small_objects(400000), buffers(160))
    print("%.4f" % (time.perf_counter() - start), flush=True)


main()
