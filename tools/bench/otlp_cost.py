#!/usr/bin/env python3
"""`record -a --otlp`'s cost as an agent (issue 22): on a host running
many Python processes, pybpf at 100 Hz for a while streaming to the test
collector (tools/otelcol), against the same recording written to a local
file instead, in rounds that alternate them, side by side.

  python3 tools/bench/otlp_cost.py --pybpf build/pybpf --build build [--out BENCHMARKS.md]

The figures are pybpf's own: its CPU time (user + system of all its
threads, the sending one's included, to its end: wait4's rusage), its peak
RSS (the same), the kernel's count of its BPF programs' time (--stats), and
the bytes the collector was sent.  Prints a Markdown section; with --out it
replaces its section of that file."""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from bench_section import publish, spread

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3.11"
BEGIN, END = "<!-- otlp-cost: begin -->", "<!-- otlp-cost: end -->"
# Each process: a function call tree of some depth, a little CPU, sleeping most of the time,
# as services do.
WORKLOAD = """
import sys, time
def leaf(n):
    return sum(range(n))
def middle(depth):
    return leaf(2000) if depth == 0 else middle(depth - 1)
print("ready", flush=True)
while True:
    for _ in range(20):
        middle(int(sys.argv[1]))
    time.sleep(0.01)
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_collector(build, json_out):
    """The test collector (tools/otelcol) on a free port of 127.0.0.1, its
    JSON lines to JSON_OUT: (its process, its URL)."""
    port = free_port()
    binary = os.path.join(build, "otelcol", "pybpf-otelcol")
    config = os.path.abspath(os.path.join(build, "otelcol", "config.yaml"))
    proc = subprocess.Popen([binary, "--config=file:" + config, "--feature-gates=service.profilesSupport"],
                            env=dict(os.environ, OTEL_PORT=str(port), OTEL_JSON_OUT=json_out),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, "http://127.0.0.1:%d" % port


def run_pybpf(argv, seconds, tmp):
    """pybpf for SECONDS, stopped by SIGTERM: (CPU seconds, peak RSS MiB, BPF ms, --stats)."""
    stats = os.path.join(tmp, "stats.json")
    proc = subprocess.Popen(argv + ["--stats", stats], stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read()
    # All its threads' CPU time and its peak RSS, to its very end (the last period and the flush too).
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit("pybpf failed: %s" % err)
    with open(stats) as f:
        st = json.load(f)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, st["bpf_run_time_ns"] / 1e6, st


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pybpf", required=True)
    ap.add_argument("--build", default="build")
    ap.add_argument("--processes", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out")
    a = ap.parse_args()
    start = time.time()
    results = {}
    with tempfile.TemporaryDirectory(prefix="pybpf-otlp-") as tmp:
        script = os.path.join(tmp, "service.py")
        with open(script, "w") as f:
            f.write(WORKLOAD)
        collector, url = start_collector(a.build, os.path.join(tmp, "out.jsonl"))
        services = [subprocess.Popen([PYTHON, script, str(10 + i % 30)], stdout=subprocess.PIPE, text=True)
                    for i in range(a.processes)]
        try:
            for s in services:
                s.stdout.readline()
            time.sleep(2)
            base = [a.pybpf, "record", "-a", "-q", "-r", "100"]
            cases = [("-a -r 100 -o local.pb.gz (local file)", base + ["-o", os.path.join(tmp, "local.pb.gz")]),
                     ("-a -r 100 --otlp (10 s periods)", base + ["--otlp", url])]
            for _ in range(a.rounds):
                for name, argv in cases:
                    results.setdefault(name, []).append(run_pybpf(argv, a.seconds, tmp))
        finally:
            for s in services:
                s.kill()
            collector.terminate()
            collector.wait()
    local = results[cases[0][0]]
    rows = []
    for name, runs in results.items():
        ratio = [r[0] / l[0] for r, l in zip(runs, local)]
        otlp = [r[3].get("otlp") for r in runs]
        rows.append("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, spread([r[0] for r in runs], "%.2f"), spread(ratio, "%.2f"),
            spread([100 * r[0] / a.seconds for r in runs], "%.2f"), spread([r[1] for r in runs], "%.1f"),
            spread([r[2] for r in runs], "%.0f"),
            spread([o["sent_samples"] for o in otlp], "%.0f") if otlp[0] else "-",
            spread([o["sent_bytes"] / 1024 for o in otlp], "%.0f") if otlp[0] else "-"))
    text = "\n".join([
        BEGIN,
        "## The --otlp agent's cost (issue 22)",
        "",
        "Measured %s, %d rounds alternating the two runs, %.1f min in all. Command:"
        % (time.strftime("%Y-%m-%d %H:%M"), a.rounds, (time.time() - start) / 60),
        "",
        "    python3 tools/bench/otlp_cost.py --pybpf build/pybpf --build build --out BENCHMARKS.md   "
        "# make otlp-bench, part of make bench",
        "",
        "%d Python processes on Debian's python3.11, each a call tree 10 to 40 deep running 20 calls "
        "then sleeping 10 ms (services, mostly idle); `pybpf record -a -r 100` for %.0f s, stopped by "
        "SIGTERM, either writing pprof locally at the end or streaming a period every 10 s to the test "
        "collector (tools/otelcol) on the host. pybpf's CPU time is user + system of all its threads "
        "(the sender's included) to its end, start-up and the last period included; the ratio is to the local run of the same "
        "round. Median [min..max]." % (a.processes, a.seconds),
        "",
        "| run | pybpf CPU s | / local | CPU % of one core | peak RSS MiB | BPF ms | samples sent | KiB sent (gzip) |",
        "|---|---|---|---|---|---|---|---|",
    ] + rows + [END])
    publish(text, a.out, BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
