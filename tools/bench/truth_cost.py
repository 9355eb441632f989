#!/usr/bin/env python3
"""What "every sample true or marked" costs (issue 12), side by side in one
run: pybpf now against pybpf before it (a build of BASE_REV), alternating,
on the same workloads at the same rate.  Figures come from each recording's
--stats (the kernel's own BPF run-time statistics and pybpf's counters).

  python3 tools/bench/truth_cost.py --pybpf build/pybpf --base BUILD_OF_BASE/pybpf

Prints a Markdown section; with --out it replaces the section between the
markers in that file (BENCHMARKS.md), so the rest of the file stays."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench_section import publish, spread

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKLOADS = os.path.join(ROOT, "tests", "workloads")
PYTHON = "/usr/bin/python3.11"
BEGIN, END = "<!-- truth-cost: begin -->", "<!-- truth-cost: end -->"

# (name, script and arguments, rate): a steady stack, short-lived code, calls
# into Python from C (the CFrame checks), and a thread list to search.
CASES = [
    ("split.py (27 frames, steady)", ["split.py"], 1000),
    ("imports.py (a new module code object every ms)", ["imports.py", "{tmp}/mods", "300"], 1000),
    ("imports.py at 10 kHz", ["imports.py", "{tmp}/mods", "300"], 10000),
    ("torn_calls.py (C -> Python calls)", ["torn_calls.py"], 1000),
    ("many_threads.py 9000 (thread search)", ["many_threads.py", "9000", "{tmp}/mt.txt"], 1000),
]


# Hostile targets (issue 13): the cost of one sample whatever the memory holds.
HOSTILE = [
    ("hostile 3.11 (loops, wild pointers, churn)", ["11"]),
    ("hostile 3.11 selflink (a thread list looping on itself)", ["11", "selflink"]),
    ("hostile 3.11 framecycle (two frames pages apart)", ["11", "framecycle"]),
    ("hostile 3.12 framecycle", ["12", "framecycle"]),
]


def run_case(pybpf, argv, rate, seconds, tmp, hostile=None):
    cmd = [hostile] + argv if hostile else \
        [PYTHON, os.path.join(WORKLOADS, argv[0])] + [a.format(tmp=tmp) for a in argv[1:]]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        stats = os.path.join(tmp, "stats.json")
        subprocess.run([pybpf, "record", "-p", str(proc.pid), "-r", str(rate), "-d", str(seconds),
                        "-q", "-o", os.path.join(tmp, "out.json"), "--stats", stats],
                       check=True, capture_output=True)
        with open(stats) as f:
            return json.load(f)
    finally:
        proc.kill()
        proc.wait()


def figures(s):
    samples = max(s["samples"], 1)
    return {
        # As bench.py: the program's time on all CPUs per sample delivered.
        "bpf_ns": s["bpf_run_time_ns"] / samples,
        "reads": s["bpf_reads"] / samples,
        "codes": s.get("codes_reported", 0),
        "report_bytes": s.get("code_report_bytes", 0) / max(s.get("codes_reported", 0), 1),
        "unresolved": s["unresolved_frames"],
        "samples": s["samples"],
    }


def percentile_us(histogram, q):
    """The upper bound (us) of the log2 bucket holding the Q-th quantile."""
    total, seen = sum(histogram), 0
    for k, n in enumerate(histogram):
        seen += n
        if total and seen >= q * total:
            return (2 ** (k + 1)) / 1000
    return float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pybpf", required=True)
    ap.add_argument("--base", required=True, help="pybpf built from the commit before issue 12")
    ap.add_argument("--base-rev", default="320894d")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--hostile", help="tests' hostile binary (BUILD/hostile)")
    ap.add_argument("--out")
    a = ap.parse_args()
    results = {}
    start = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(a.rounds):
            for name, argv, rate in CASES:
                for who, binary in (("before", a.base), ("now", a.pybpf)) if r % 2 == 0 else \
                                   (("now", a.pybpf), ("before", a.base)):
                    results.setdefault((name, who), []).append(
                        figures(run_case(binary, argv, rate, a.seconds, tmp)))
        hostile = []
        for name, argv in (HOSTILE if a.hostile else []):
            for who, binary in (("before", a.base), ("now", a.pybpf)):
                results.setdefault((name, who), []).append(
                    run_case(binary, argv, 1000, a.seconds, tmp, hostile=a.hostile))
    hostile_rows = []
    for name, _ in (HOSTILE if a.hostile else []):
        b, n = results[(name, "before")][0], results[(name, "now")][0]
        hist = n["cost_histogram_log2_ns"]
        hostile_rows.append("| %s | %.1f | %.1f | %.0f | %.0f | %.0f | %d | %d |" % (
            name, b["bpf_run_time_ns"] / max(b["samples"] + b.get("idle_all", 0), 1) / 1000,
            n["bpf_run_time_ns"] / max(n["samples"], 1) / 1000,
            percentile_us(hist, 0.99), percentile_us(hist, 0.999), n["bpf_max_sample_ns"] / 1000,
            n["bpf_max_reads"], n["read_budget"]))
    rows = []
    for name, _, rate in CASES:
        b, n = results[(name, "before")], results[(name, "now")]
        ratio = [x["bpf_ns"] / y["bpf_ns"] for x, y in zip(n, b)]
        rows.append("| %s | %d | %s | %s | %s | %s | %s | %s | %d / %d |" % (
            name, rate, spread([x["bpf_ns"] / 1000 for x in b], "%.2f"),
            spread([x["bpf_ns"] / 1000 for x in n], "%.2f"), spread(ratio, "%.2f"),
            spread([x["reads"] for x in b]), spread([x["reads"] for x in n]),
            "%d (%.0f B each)" % (statistics.median(x["codes"] for x in n),
                                  statistics.median(x["report_bytes"] for x in n)),
            statistics.median(x["unresolved"] for x in b), statistics.median(x["unresolved"] for x in n)))
    text = "\n".join([
        BEGIN,
        "## What \"every sample true or marked\" costs (issue 12)",
        "",
        "Measured %s, %d rounds alternating the two binaries, %.0f s per recording, Debian's "
        "python3.11 (`%s`), %s. Command:" % (time.strftime("%Y-%m-%d"), a.rounds, a.seconds, PYTHON,
                                            "%.0f min" % ((time.time() - start) / 60)),
        "",
        "    make truth-bench      # tools/bench/truth_cost.py --pybpf build/pybpf --base <%s's pybpf>" % a.base_rev,
        "",
        "*before* is pybpf at %s (no code reports, no chain checks, an 8192-thread search); *now* "
        "is this tree. BPF µs per sample are the kernel's `run_time_ns` for the sampling "
        "program (all its runs, on every CPU) over the samples delivered, as in `make bench` "
        "(median [min..max] of the rounds); reads are probe reads of target "
        "memory per sample; reports are code objects reported with their names in one recording "
        "(median), and their mean size; `[unknown]` frames are per recording, median." % a.base_rev,
        "",
        "| workload | Hz | BPF µs/sample before | now | now / before | reads/sample before | now | code reports | `[unknown]` frames before / now |",
        "|---|---|---|---|---|---|---|---|---|",
    ] + rows + ([
        "",
        "Hostile targets (`tests/workloads/hostile.c`, 1000 Hz, one recording each): BPF "
        "time per sample delivered before and now (as above), and now the 99th and 99.9th percentiles of a sample's cost (the "
        "upper bound of its power-of-two bucket in `cost_histogram_log2_ns`), the costliest "
        "sample, and the most reads a sample made against the budget. The maximum is a single "
        "sample's wall time in a VM: a vCPU taken away mid-sample counts in it.",
        "",
        "| target | BPF µs/sample before | now | p99 µs | p99.9 µs | max µs | most reads | budget |",
        "|---|---|---|---|---|---|---|---|",
    ] + hostile_rows if hostile_rows else []) + [END])
    publish(text, a.out, BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
