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


def run_case(pybpf, argv, rate, seconds, tmp):
    proc = subprocess.Popen([PYTHON, os.path.join(WORKLOADS, argv[0])] +
                            [a.format(tmp=tmp) for a in argv[1:]], stdout=subprocess.PIPE, text=True)
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
    runs = max(s["bpf_run_cnt"], 1)
    samples = max(s["samples"], 1)
    return {
        "bpf_ns": s["bpf_run_time_ns"] / runs,
        "reads": s["bpf_reads"] / samples,
        "codes": s.get("codes_reported", 0),
        "report_bytes": s.get("code_report_bytes", 0) / max(s.get("codes_reported", 0), 1),
        "unresolved": s["unresolved_frames"],
        "samples": s["samples"],
    }


def spread(xs, fmt="%.1f"):
    return (fmt + " [" + fmt + ".." + fmt + "]") % (statistics.median(xs), min(xs), max(xs))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pybpf", required=True)
    ap.add_argument("--base", required=True, help="pybpf built from the commit before issue 12")
    ap.add_argument("--base-rev", default="320894d")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=4)
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
        "is this tree. BPF µs per sample are the kernel's `run_time_ns / run_cnt` for the "
        "sampling program (median [min..max] of the rounds); reads are probe reads of target "
        "memory per sample; reports are code objects reported with their names in one recording "
        "(median), and their mean size; `[unknown]` frames are per recording, median." % a.base_rev,
        "",
        "| workload | Hz | BPF µs/sample before | now | now / before | reads/sample before | now | code reports | `[unknown]` frames before / now |",
        "|---|---|---|---|---|---|---|---|---|",
    ] + rows + [END])
    print(text)
    if a.out:
        with open(a.out) as f:
            doc = f.read()
        if BEGIN in doc:
            doc = doc[:doc.index(BEGIN)] + text + doc[doc.index(END) + len(END):]
        else:
            doc = doc.rstrip("\n") + "\n\n" + text + "\n"
        with open(a.out, "w") as f:
            f.write(doc)


if __name__ == "__main__":
    sys.exit(main())
