"""BENCHMARKS.md: the run, the workloads, the tables, the verdicts."""
import os
import platform
import re
import subprocess
import time

from bench_figures import COLS, cpu_per_sample, fmt, md_table, table_rows
from bench_setup import WORKLOADS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


# ---------------------------------------------------------------- report
def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = "%.0f GiB" % (int(f.readline().split()[1]) / 1024 / 1024)
    except (OSError, ValueError, IndexError):
        pass
    return dict(cores=os.cpu_count(), kernel=platform.release(), cpu=model, mem=mem)


def git_rev():
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        return "?"


METHOD = """\
How to read the columns:

- **slowdown**: the target's wall time for its fixed work, profiled, over the
  same work unprofiled on the same interpreter in the same round; median over
  rounds with [min..max]; the baseline row shows its own spread over rounds,
  the noise floor. Negative values are noise. (The targets' CPU time for the
  work tracks their wall time within a percent or two here, so the noise
  comes from below the guest scheduler: vCPU and host contention.)
- **target CPU added**: the target's CPU time for its fixed work, profiled,
  minus the same work's unprofiled in the same round (median [min..max]):
  what the profiler costs the program it watches. At 10 kHz it is set
  against `perf cpu-clock 10000 Hz`, bare `perf record -e cpu-clock` without
  call graphs: the timer interrupt alone, the floor of any sampler.
- **profiler CPU** / **peak RSS**: user+sys time of the profiler process from
  `os.wait4` (children included), start to exit, and its peak RSS as GNU
  `time -f %M` reports it (`ru_maxrss` of a child forked from the benchmark's
  own Python process would include that process's RSS: the kernel keeps the
  pre-exec high-water mark). A run is short (~3-5 s), so start-up (for pybpf: BTF, BPF load and verification)
  is part of it; **CPU % of a core** is that CPU over the profiler's lifetime.
  perf's figure excludes `perf script` (the unwinding happens there, noted
  separately below).
- **samples (all)**: every sample the profiler delivered (pybpf: `samples`
  from `--stats`). **timed-phase samples / expected**: samples whose stack is
  in the timed work (not in `standby()`), against rate x the target's CPU time
  for that work (CPU modes) or rate x the wall time of every thread (wall mode).
- **lost**: pybpf: ring-buffer drops (`--stats`); austin: its "invalid
  samples"; profiling.sampling: its error rate x samples; perf: lost events.
- **CPU per sample**: (profiler CPU + for pybpf the kernel-measured BPF run
  time) / samples delivered. **BPF per sample**: `bpf_run_time_ns` / samples.
  `bpf_run_time_ns` is the BPF program's run time over all its runs on all
  CPUs, including the cheap runs that find a non-target process on the CPU
  (`bpf_run_cnt` counts them), so this is the cost per *delivered* sample,
  not per program run. **BPF reads per sample**: the program's reads of the
  target's memory (`bpf_reads` in `--stats`) per sample; each costs about
  65 ns here whatever its size up to a page, which is why the walk reads a
  page of neighbouring frames at once.
- **BPF stages** (the `--stats-stages` row only: three more clock reads a
  sample): per sample, the time from the program's start to the thread state
  and its top frame found, the frame walk with every frame resolved, and the
  ring-buffer submit with the counters. What the three do not add up to is
  the program's entry, the process lookup and the brake.
- **BPF % of target CPU**: BPF per sample x rate: the share of the target's
  CPU time that pybpf's BPF program takes (it runs on the target's CPU, in
  its context, at each sample): the part of pybpf's slowdown that noise
  cannot hide.
- **first sample**: pybpf: `first_sample_ms`, from pybpf's start. austin: the
  moment its first sample reached the output file (an upper bound: stdio
  buffering). perf: the first sample's timestamp (`-k mono`) minus perf's
  start. profiling.sampling: not measurable from outside, n/a.
- **share error**: the largest gap, in percentage points, between the
  measured and the known CPU split of the leaves (60/30/10; threads:
  40/30/20/10), parsed from pybpf's speedscope JSON, austin's collapsed
  output, profiling.sampling's `--collapsed` and `perf script`. σ is the
  binomial noise of the largest share with that many leaf samples: a perfect
  sampler is off by about that much.
- **deepest stack**: the most Python frames the profiler reported in one sample.
"""


def write_report(path, a, bench, cfgs, summary, runs, long_runs, elapsed, argv, verdict):
    m = machine()
    L = ["# pybpf benchmarks", "",
         "Generated by `tools/bench/bench.py` (project issue 7): pybpf against the profilers "
         "users would otherwise pick, side by side in one run. Speed and memory targets live "
         "only here, never in timed tests.", "",
         "## Run", "",
         "- command: `%s`" % " ".join(argv),
         "- mode: %s, %d rounds per configuration, interleaved round-robin; %.1f s settle "
         "before the timed work; took %.1f min" % ("quick" if a.quick else "full", a.rounds, a.settle,
                                                   elapsed / 60),
         "- date: %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
         "- machine: %s cores, %s, %s RAM, kernel %s, no hardware perf counters "
         "(perf and pybpf sample on cpu-clock)" % (m["cores"], m["cpu"], m["mem"], m["kernel"]),
         "- load average at start / end: %s / %s" % (bench.load0, bench.load1),
         "- pybpf: git %s; %s; %s" % (git_rev(), bench.versions["austin"].strip(), bench.versions["perf"]),
         "- targets: " + "; ".join("%s %s" % (t.label, t.version) for t in bench.targets.values()),
         ""]
    L += ["## Workloads", ""]
    for k, w in WORKLOADS.items():
        if k in a.workloads:
            L.append("- **%s** (`%s %s`): %s" % (k, w["script"], " ".join(w["args"]), w["what"]))
    L += ["", "## Results", "", METHOD]
    for wl in a.workloads:
        L += ["### %s" % wl, "", md_table(COLS, table_rows(summary, cfgs, wl)), ""]
        post = [(c.name, summary[(wl, c.name)].get("post_cpu")) for c in cfgs
                if c.kind == "perf" and (wl, c.name) in summary]
        if post:
            L += ["`perf script` CPU afterwards: " +
                  ", ".join("%s %.2f s" % (n, p) for n, p in post if p is not None), ""]
    if long_runs:
        L += ["### Long recordings (split workload, sized for %.0f s)" % a.long, "",
              "One run each, after the rounds, with the work sized from the rounds' unprofiled runs to "
              "take about %.0f s: start-up costs fade, steady state shows." % a.long, ""]
        rows = []
        for name, lr in long_runs.items():
            if lr.get("error"):
                rows.append([lr["config"], "failed: " + lr["error"]] + [""] * 9)
                continue
            rows.append([lr["config"], "%.1f" % lr["wall"], "%.2f" % lr["prof_cpu"],
                         "%.2f" % (100 * lr["prof_cpu"] / lr["prof_wall"]), "%.1f" % lr["prof_rss_mb"],
                         lr["samples"], fmt(lr["lost"], "%d"), fmt(cpu_per_sample(lr), "%.1f"),
                         fmt(lr["bpf_ns"] / max(1, lr["stats_samples"]) / 1000 if "bpf_ns" in lr else None,
                             "%.2f", "-"),
                         fmt(lr["first_ms"], "%.0f"), fmt(lr["share_err"], "%.1f", "-")])
        L += [md_table(["config", "target wall s", "profiler CPU s", "CPU % of a core", "peak RSS MB",
                        "samples", "lost", "CPU per sample us", "BPF per sample us", "first sample ms",
                        "share error pp"], rows), ""]
    L += ["## The issue's targets", "",
          md_table(["target", "measured", "verdict"], [[t, m_, verdict_] for t, m_, ok, verdict_ in verdict]), ""]
    if bench.notes:
        L += ["## Problems during this run", ""] + ["- " + n for n in bench.notes] + [""]
    keep = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        mm = re.search(r"<!-- reading -->.*?<!-- /reading -->", old, re.S)
        if mm:
            keep = mm.group(0)
    L += ["## Reading", "",
          keep or "<!-- reading -->\n(Written by hand after looking at the numbers; bench.py keeps this "
                  "section as it is when it rewrites the file.)\n<!-- /reading -->", ""]
    with open(path, "w") as f:
        f.write("\n".join(L))
