#!/usr/bin/python3.11
"""pybpf against the profilers users would otherwise pick, side by side in
one run (project issue 7).  Run as root, with Debian's python3.11:

    tools/provision-peers.sh build          # austin, python3.13/3.15 (sid), perf
    /usr/bin/python3.11 tools/bench/bench.py --quick     # < 5 min
    /usr/bin/python3.11 tools/bench/bench.py             # everything

Each workload (tools/bench/workloads/) does a fixed amount of work and
prints its own wall and CPU time, so slowdown is profiled / unprofiled wall
time of the same work.  Every (workload, configuration) pair runs once per
round and the rounds interleave the configurations round-robin (the start
rotates each round), so drift and load from other jobs on the machine hit
all configurations alike; the figures are medians over rounds.

The protocol of one run: start the target; it prints "ready" and spins in
standby(); start the profiler, attached to the target's PID; after
--settle seconds send "go"; the target does its fixed work inside
bench_work() and exits; the profiler stops by itself when the target has
exited; both are reaped with os.wait4, whose rusage gives the profiler's
CPU time and peak RSS.  Speed and memory targets live only here, never in
timed tests.  Standard library only."""
import argparse
import json
import os
import shutil
import statistics
import sys
import time

from bench_figures import COLS, summarize, text_table, table_rows, verdicts
from bench_report import ROOT, write_report
from bench_runner import Bench
from bench_setup import WORKLOADS, Config, configs, runs_on


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 rounds, split + deep, peers at 1000 Hz only (< 5 min)")
    ap.add_argument("--rounds", type=int, help="rounds per configuration (default: 2 quick, 3 full)")
    ap.add_argument("--workloads", help="comma-separated subset of " + ",".join(WORKLOADS))
    ap.add_argument("--only", help="run only configurations whose name contains one of these (comma-separated)")
    ap.add_argument("--settle", type=float, default=0.8, help="seconds between profiler start and the timed work")
    ap.add_argument("--long", type=float, help="seconds of the long pybpf 1000 Hz recording (default: 60 full, 0 quick)")
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--pybpf", help="pybpf binary (default BUILD/pybpf; copied once at start)")
    ap.add_argument("--base", help="an earlier pybpf binary, run beside it for before/after figures")
    ap.add_argument("--base-rev", default="base", help="how to name --base in the tables (a git revision)")
    ap.add_argument("--out", default=os.path.join(ROOT, "BENCHMARKS.md"))
    ap.add_argument("--json", help="also write every run's raw figures here")
    a = ap.parse_args()
    a.pybpf = a.pybpf or os.path.join(a.build, "pybpf")
    a.rounds = a.rounds or (2 if a.quick else 3)
    a.workloads = a.workloads.split(",") if a.workloads else (["split", "deep"] if a.quick else list(WORKLOADS))
    a.long = (0 if a.quick else 60) if a.long is None else a.long
    for w in a.workloads:
        if w not in WORKLOADS:
            ap.error("unknown workload " + w)

    t0 = time.monotonic()
    bench = Bench(a)
    bench.setup()
    bench.load0 = open("/proc/loadavg").read().split()[0]
    cfgs = configs(a.quick, a.base_rev if a.base else None)
    if a.only:
        keys = a.only.split(",")
        cfgs = [c for c in cfgs if not c.kind or any(k in c.name for k in keys)]
    jobs = [(w, c) for w in a.workloads for c in cfgs if runs_on(w, c.target)]
    print("bench: %d configurations x %d workloads x %d rounds = %d runs (+ %.0f s recording); "
          "target versions: %s" % (len(cfgs), len(a.workloads), a.rounds, len(jobs) * a.rounds, a.long,
                                   ", ".join("%s=%s" % (k, t.version) for k, t in bench.targets.items())),
          flush=True)
    runs = []
    try:
        for rnd in range(a.rounds):
            k = (rnd * len(jobs)) // a.rounds
            for w, c in jobs[k:] + jobs[:k]:
                r = bench.run_one(w, c, rnd)
                runs.append(r)
                print("  round %d %-7s %-38s %s" % (rnd + 1, w, c.name, brief(r)), flush=True)
        long_runs = {}
        if a.long > 0:
            base = [r["wall"] for r in runs if r["workload"] == "split" and r["config"] == "none py3.11"
                    and not r.get("error")]
            wl = WORKLOADS["split"]
            rounds = int(wl["args"][-1])
            if base:
                rounds = int(rounds * a.long / statistics.median(base))
            else:
                rounds = int(rounds * a.long / 3.0)
            args = wl["args"][:-1] + [str(rounds)]
            for c in (Config("pybpf 1000 Hz", "py3.11", "pybpf", 1000),
                      Config("austin -s -i 1ms", "py3.11", "austin", 1000, "cpu")):
                if a.only and not any(k in c.name for k in a.only.split(",")):
                    continue
                print("bench: %.0f s recording, %s (split, %d rounds)" % (a.long, c.name, rounds), flush=True)
                long_runs[c.kind] = bench.run_one("split", c, -1, args)
                print("  long run: " + brief(long_runs[c.kind]), flush=True)
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    bench.load1 = open("/proc/loadavg").read().split()[0]
    summary = summarize(runs, cfgs)
    verdict = verdicts(summary, long_runs, a.quick)
    elapsed = time.monotonic() - t0
    for wl in a.workloads:
        print("\n== %s: %s" % (wl, WORKLOADS[wl]["what"]))
        print(text_table(COLS, table_rows(summary, cfgs, wl)))
    print("\n== the issue's targets")
    print(text_table(["target", "measured", "verdict"], [[t, m_, v_] for t, m_, ok, v_ in verdict]))
    argv = ["/usr/bin/python3.11", os.path.relpath(os.path.abspath(sys.argv[0]), ROOT)] + sys.argv[1:]
    write_report(a.out, a, bench, cfgs, summary, runs, long_runs, elapsed, argv, verdict)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(runs=runs, long_runs=long_runs), f, indent=1)
    print("\nbench: wrote %s in %.1f min" % (a.out, elapsed / 60))


def brief(r):
    if r.get("error"):
        return "FAILED " + r["error"][:120]
    s = "wall %.2f s" % r["wall"]
    if "prof_cpu" in r:
        s += ", profiler CPU %.0f ms, RSS %.1f MB, samples %s" % (r["prof_cpu"] * 1000, r["prof_rss_mb"],
                                                                  r.get("samples"))
        if r.get("share_err") is not None:
            s += ", share err %.1f pp" % r["share_err"]
        if r.get("bpf_ns") is not None and r.get("stats_samples"):
            s += ", BPF %.2f us/sample" % (r["bpf_ns"] / r["stats_samples"] / 1000)
    return s


if __name__ == "__main__":
    main()

