#!/usr/bin/env python3
"""An --otlp agent's memory while processes come and go (issue 22): two
agents side by side on one host, this pybpf and the one at BASE_REV (before
agents let go of what they have sent), each `record -a --otlp` to the test
collector (tools/otelcol), while thousands of short Python processes start,
run a little and exit, a few at a time.  Both see the same processes.

  python3 tools/bench/otlp_soak.py --pybpf build/pybpf --base BASE/pybpf --base-rev REV --build build [--out BENCHMARKS.md]

Each agent's resident memory (VmRSS) is read every CHECKPOINT processes;
at the end its --stats (what was sent, let go of, lost) and its CPU time
(wait4's rusage).  Prints a Markdown section; with --out it replaces its
section of that file."""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from bench_section import publish
from otlp_cost import start_collector

PYTHON = "/usr/bin/python3.11"
COMM = "pybpf-soak"     # what the churners are run as: --comm picks them alone
BEGIN, END = "<!-- otlp-soak: begin -->", "<!-- otlp-soak: end -->"
# A short-lived process: a call tree, a tenth of a second of CPU, a little sleep, gone.
CHURNER = """
import sys, time
def leaf(n):
    return sum(range(n))
def work(depth, seconds):
    if depth:
        return work(depth - 1, seconds)
    end = time.process_time() + seconds
    while time.process_time() < end:
        leaf(1000)
work(int(sys.argv[1]), 0.1)
time.sleep(0.05)
"""


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def start_agent(pybpf, url, stats, interval):
    proc = subprocess.Popen([pybpf, "record", "-a", "-q", "--comm", COMM, "-r", "100", "--otlp", url,
                             "--interval", str(interval), "--stats", stats], stderr=subprocess.PIPE, text=True)
    # Attached once it has dropped its privileges (NoNewPrivs), however long that takes here.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        with open("/proc/%d/status" % proc.pid) as f:
            if "NoNewPrivs:\t1" in f.read():
                return proc
        time.sleep(0.1)
    raise SystemExit("pybpf did not start: %s" % proc.stderr.read())


def stop_agent(proc, stats):
    """SIGTERM: (CPU seconds, --stats)."""
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit("pybpf failed: %s" % err)
    with open(stats) as f:
        return usage.ru_utime + usage.ru_stime, json.load(f)


def churn(exe, script, total, at_once, checkpoint, agents, interval):
    """Run TOTAL churners, AT_ONCE at a time; each agent's RSS every CHECKPOINT ended: [(ended, [KiB])]."""
    running, started, ended, rows = [], 0, 0, []
    while ended < total:
        while len(running) < at_once and started < total:
            running.append(subprocess.Popen([exe, script, str(5 + started % 20)]))
            started += 1
        running[0].wait()
        running.pop(0)
        ended += 1
        if ended % checkpoint == 0 or ended == total:
            if ended == total:
                # The last ones sent and let go of: two periods more.
                time.sleep(2.5 * interval)
            rows.append((ended, [rss_kib(a.pid) for a in agents]))
    return rows


def growth(rows, i):
    """KiB per ended process, from the first checkpoint to the last."""
    (n0, first), (n1, last) = rows[0], rows[-1]
    return (last[i] - first[i]) / (n1 - n0) if n1 > n0 else 0.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pybpf", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--base-rev", required=True)
    ap.add_argument("--build", default="build")
    ap.add_argument("--processes", type=int, default=10000)
    ap.add_argument("--at-once", type=int, default=4)
    ap.add_argument("--checkpoint", type=int, default=1000)
    ap.add_argument("--interval", type=int, default=2)
    ap.add_argument("--out")
    a = ap.parse_args()
    start = time.time()
    names = ["this pybpf", "pybpf %s" % a.base_rev]
    with tempfile.TemporaryDirectory(prefix="pybpf-soak-") as tmp:
        script, exe = os.path.join(tmp, "churn.py"), os.path.join(tmp, COMM)
        with open(script, "w") as f:
            f.write(CHURNER)
        os.symlink(os.path.realpath(PYTHON), exe)
        collector, url = start_collector(a.build, os.devnull)
        try:
            time.sleep(3)
            stats = [os.path.join(tmp, "this.json"), os.path.join(tmp, "base.json")]
            agents = [start_agent(p, url, s, a.interval) for p, s in zip((a.pybpf, a.base), stats)]
            rows = churn(exe, script, a.processes, a.at_once, a.checkpoint, agents, a.interval)
            ends = [stop_agent(p, s) for p, s in zip(agents, stats)]
        finally:
            collector.terminate()
            collector.wait()
    lines = []
    for ended, kib in rows:
        lines.append("| %d | %.1f | %.1f | %.2f |" % (ended, kib[0] / 1024, kib[1] / 1024, kib[1] / kib[0]))
    summary = []
    for name, i, (cpu, st) in zip(names, range(2), ends):
        o, let_go = st["otlp"], st.get("let_go", {}).get("processes")
        summary.append("| %s | %.2f | %.0f | %d | %d | %d | %s | %d |" % (
            name, growth(rows, i), cpu, o["sent_periods"], o["sent_samples"],
            o["dropped_samples"] + o["unsent_samples"] + o["refused_samples"],
            "-" if let_go is None else str(let_go), len(st["processes"])))
    text = "\n".join([
        BEGIN,
        "## An --otlp agent's memory while processes come and go (issue 22)",
        "",
        "Measured %s, %.1f min in all. Command:" % (time.strftime("%Y-%m-%d %H:%M"), (time.time() - start) / 60),
        "",
        "    python3 tools/bench/otlp_soak.py --pybpf build/pybpf --base build/base-%s/build/pybpf --base-rev %s "
        "--build build --out BENCHMARKS.md   # make otlp-soak" % (a.base_rev, a.base_rev),
        "",
        "Two agents side by side, `record -a -r 100 --otlp URL --interval %d` (this pybpf, and pybpf at %s, "
        "before an agent let go of the processes it had sent), both streaming to the test collector, while "
        "%d short Python 3.11 processes start, run a call tree 5 to 24 deep for 0.1 s of CPU, sleep 50 ms and "
        "exit, %d at a time. Both see the same processes. Resident memory (VmRSS) of each agent after every "
        "%d ended processes (the last row 2.5 periods after the last one ended):"
        % (a.interval, a.base_rev, a.processes, a.at_once, a.checkpoint),
        "",
        "| processes ended | this pybpf MiB | pybpf %s MiB | ratio |" % a.base_rev,
        "|---|---|---|---|",
    ] + lines + [
        "",
        "Growth per ended process (first row to last), what each sent, and what it still held at the end:",
        "",
        "| agent | KiB per ended process | CPU s | periods sent | samples sent | samples not delivered "
        "| processes let go of | processes still held |",
        "|---|---|---|---|---|---|---|---|",
    ] + summary + [END])
    publish(text, a.out, BEGIN, END)


if __name__ == "__main__":
    sys.exit(main())
