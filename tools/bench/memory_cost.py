#!/usr/bin/env python3
"""--mode memory's cost (issue 21): an allocation-heavy run
(tools/bench/workloads/alloc_heavy.py) alone, under `pybpf record --mode
memory` (at the default 512 KiB period and at 64 KiB), and under
memory_profiler (Debian's python3-memory-profiler, line by line), in
rounds that alternate them, side by side.

  python3 tools/bench/memory_cost.py --pybpf build/pybpf [--out BENCHMARKS.md]

The figure is the workload's own run time (it prints it), so pybpf's and
Python's start-up are not in it.  memray is not in Debian, so it is not here.

Prints a Markdown section; with --out it replaces its section of that file."""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

from bench_section import publish, spread

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3.11"
WORKLOAD = os.path.join(HERE, "workloads", "alloc_heavy.py")
BEGIN, END = "<!-- memory-cost: begin -->", "<!-- memory-cost: end -->"


def cases(pybpf, tmp):
    record = lambda period: [pybpf, "record", "--mode", "memory", "--memory-period", period, "-q",
                             "-o", os.path.join(tmp, "out.json"), "--stats", os.path.join(tmp, "stats.json"),
                             "--", PYTHON, WORKLOAD]
    return [("alone", [PYTHON, WORKLOAD]),
            ("pybpf --mode memory (512K)", record("512K")),
            ("pybpf --mode memory (64K)", record("64K")),
            ("memory_profiler", [PYTHON, "-m", "memory_profiler", WORKLOAD])]


def run_once(argv, tmp):
    """(the workload's own seconds, pybpf's (samples, BPF ms) or None)"""
    stats = os.path.join(tmp, "stats.json")
    if os.path.exists(stats):
        os.unlink(stats)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    if proc.returncode:
        raise SystemExit("%s failed: %s" % (argv[0], err.strip()))
    # The workload's line; memory_profiler prints its tables after it.
    took = float(next(l for l in out.splitlines() if re.fullmatch(r"\d+\.\d{4}", l.strip())))
    pybpf = None
    if os.path.exists(stats):
        with open(stats) as f:
            st = json.load(f)
        pybpf = st["samples"], st["bpf_run_time_ns"] / 1e6
    return took, pybpf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pybpf", required=True)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fast-runs", type=int, default=4,
                    help="runs of each case but memory_profiler in a round (memory_profiler: one, 50x slower)")
    ap.add_argument("--out")
    a = ap.parse_args()
    start = time.time()
    results = {}
    with tempfile.TemporaryDirectory(prefix="pybpf-memory-") as tmp:
        for _ in range(a.rounds):
            every = cases(os.path.abspath(a.pybpf), tmp)
            for _ in range(a.fast_runs):
                for name, argv in every[:-1]:
                    results.setdefault(name, []).append(run_once(argv, tmp))
            name, argv = every[-1]
            results.setdefault(name, []).append(run_once(argv, tmp))
    alone = statistics.median(t for t, _ in results["alone"])
    rows = []
    for name, runs in results.items():
        times = [t for t, _ in runs]
        pybpf = [p for _, p in runs if p is not None]
        rows.append("| %s | %s | %.2f [%.2f..%.2f] | %s | %s | %s |" % (
            name, spread(times, "%.2f"), statistics.median(times) / alone, min(times) / alone,
            max(times) / alone, spread([p[0] for p in pybpf], "%.0f") if pybpf else "-",
            spread([p[1] for p in pybpf], "%.1f") if pybpf else "-",
            spread([100 * p[1] / 1000 / t for p, (t, _) in zip(pybpf, runs)], "%.2f") if pybpf else "-"))
    text = "\n".join([
        BEGIN,
        "## Memory mode's cost (issue 21)",
        "",
        "Measured %s, %d rounds, each %d runs of the first three alternating, then one of "
        "memory_profiler (50 times slower), %.1f min in all. Command:"
        % (time.strftime("%Y-%m-%d %H:%M"), a.rounds, a.fast_runs, (time.time() - start) / 60),
        "",
        "    python3 tools/bench/memory_cost.py --pybpf build/pybpf --out BENCHMARKS.md   # part of make bench",
        "",
        "`tools/bench/workloads/alloc_heavy.py` on Debian's python3.11: three rounds of 400,000 small "
        "str objects and 160 MiB of 1 MiB buffers, each replacing the last (grows, shrinks, grows). "
        "The figure is its own run time (it prints it), alone, launched by `pybpf record --mode memory "
        "-- CMD` at two periods, and under memory_profiler (`python3 -m memory_profiler`, Debian's "
        "python3-memory-profiler, with `@profile` on its two allocating functions). memray is not "
        "packaged by Debian. Median [min..max]; the ratio is to the median run alone. The run "
        "time of one run to the next varies more than pybpf adds, so pybpf's own cost is also "
        "given as the kernel's count of its BPF programs' time (`bpf_run_time_ns` of `--stats`: "
        "the rss_stat program on every page the process touches, and the samples), and that as "
        "a share of the workload's time.",
        "",
        "| run | workload seconds | / alone | pybpf samples | pybpf BPF ms | BPF % of the run |",
        "|---|---|---|---|---|---|",
    ] + rows + [END])
    publish(text, a.out, BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
