#!/usr/bin/env python3
"""pybpf's start-up (issue 15): the CPU, page faults and peak memory of a
recording that starts, takes its first samples and stops, side by side with
an earlier pybpf (--base), alternating, against the same running target.

  python3 tools/bench/startup_cost.py --pybpf build/pybpf --base OLD/pybpf

Each run is `pybpf record -q -p PID -d 0.05` (and `-a -d 0.05`): start-up
(libbpf reading the kernel's BTF, the program's verification, the maps'
allocation, the target's set-up) and then 50 ms of sampling at 1 kHz, a few
samples' worth.  The figures are the kernel's own accounting of the process,
from wait4(): user + system CPU, minor page faults, peak RSS.

Prints a Markdown section; with --out it replaces its section of that file."""
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
PYTHON = "/usr/bin/python3.11"
SPLIT = os.path.join(ROOT, "tests", "workloads", "split.py")
BEGIN, END = "<!-- startup-cost: begin -->", "<!-- startup-cost: end -->"
# How each case names its target; PID is the running workload's.
CASES = [("record -p PID", ["-p", "{pid}"]), ("record -a", ["-a"])]


def run_once(pybpf, target_args, tmp):
    stats = os.path.join(tmp, "stats.json")
    proc = subprocess.Popen([pybpf, "record", "-q", "-d", "0.05", "-r", "1000",
                             "-o", os.path.join(tmp, "out.json"), "--stats", stats] + target_args,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    if status:
        raise SystemExit("%s failed: %s" % (pybpf, err.strip()))
    with open(stats) as f:
        first = json.load(f).get("first_sample_ms", -1)
    return {"cpu_ms": (usage.ru_utime + usage.ru_stime) * 1000, "faults": usage.ru_minflt,
            "rss_mb": usage.ru_maxrss / 1024, "first_ms": first}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pybpf", required=True)
    ap.add_argument("--base", required=True, help="an earlier pybpf, run beside it")
    ap.add_argument("--base-rev", default="base", help="how to name --base (a git revision)")
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--out")
    a = ap.parse_args()
    start = time.time()
    target = subprocess.Popen([PYTHON, SPLIT], stdout=subprocess.PIPE, text=True)
    results = {}
    try:
        assert target.stdout.readline().strip() == "ready"
        with tempfile.TemporaryDirectory(prefix="pybpf-startup-") as tmp:
            for _ in range(a.rounds):
                for case, args in CASES:
                    argv = [x.format(pid=target.pid) for x in args]
                    for who, binary in (("before", a.base), ("now", a.pybpf)):
                        results.setdefault((case, who), []).append(run_once(binary, argv, tmp))
    finally:
        target.kill()
        target.wait()
    rows = []
    for case, _ in CASES:
        b, n = results[(case, "before")], results[(case, "now")]
        cell = lambda runs, key, fmt="%.1f": spread([r[key] for r in runs], fmt)
        rows.append("| %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s |" % (
            case, cell(b, "cpu_ms"), cell(n, "cpu_ms"),
            statistics.median(x["cpu_ms"] for x in n) / statistics.median(x["cpu_ms"] for x in b),
            cell(b, "faults", "%.0f"), cell(n, "faults", "%.0f"), cell(b, "rss_mb"), cell(n, "rss_mb"),
            cell(b, "first_ms", "%.0f"), cell(n, "first_ms", "%.0f")))
    text = "\n".join([
        BEGIN,
        "## Start-up (issue 15)",
        "",
        "Measured %s, %d rounds alternating the two binaries, %.0f min in all. Command:"
        % (time.strftime("%Y-%m-%d %H:%M"), a.rounds, (time.time() - start) / 60),
        "",
        "    make startup-bench    # tools/bench/startup_cost.py --pybpf build/pybpf --base <%s's pybpf>"
        % a.base_rev,
        "",
        "Each run records for 50 ms at 1 kHz (`pybpf record -q -d 0.05 -r 1000`), here against "
        "the running `tests/workloads/split.py` or, with `-a`, every Python on the machine; "
        "*before* is pybpf at %s, *now* this tree. CPU is the process's user + system time from "
        "`wait4()`, so it is start-up plus a few samples; faults are minor page faults; first "
        "sample is `first_sample_ms` of `--stats` (from pybpf's start). Median [min..max]." % a.base_rev,
        "",
        "| run | CPU ms before | now | now / before | page faults before | now | peak RSS MB before | now | first sample ms before | now |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ] + rows + [END])
    publish(text, a.out, BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
