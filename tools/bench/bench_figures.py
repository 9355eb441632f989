"""From runs to figures: medians and spreads per (workload, configuration),
the tables, and the issues' targets met or missed."""
import collections
import math
import statistics

from bench_setup import WORKLOADS, runs_on


# ---------------------------------------------------------------- figures
def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, spec="%.1f", none="n/a"):
    return none if x is None or (isinstance(x, float) and math.isnan(x)) else spec % x


def summarize(runs, cfgs):
    """Per (workload, config): medians over rounds, and slowdown as the
    median of per-round ratios to the same round's unprofiled run of the
    same interpreter."""
    by = collections.defaultdict(list)
    for r in runs:
        if not r.get("error"):
            by[(r["workload"], r["config"], r["round"])] = r
    out = {}
    for wl in WORKLOADS:
        for c in cfgs:
            rows = [r for (w, n, _), r in by.items() if w == wl and n == c.name]
            if not rows:
                continue
            s = dict(n=len(rows), wall=med([r["wall"] for r in rows]), cpu=med([r["cpu"] for r in rows]))
            s["spread"] = (100.0 * (min(r["wall"] for r in rows) / s["wall"] - 1),
                           100.0 * (max(r["wall"] for r in rows) / s["wall"] - 1))
            if c.kind:
                ratios, cratios, cadds = [], [], []
                for r in rows:
                    b = by.get((wl, c.baseline, r["round"]))
                    if b:
                        ratios.append(100.0 * (r["wall"] / b["wall"] - 1.0))
                        cratios.append(100.0 * (r["cpu"] / b["cpu"] - 1.0))
                        cadds.append(1000.0 * (r["cpu"] - b["cpu"]))
                s["cadd_ms"] = med(cadds)
                s["cadd_min"] = min(cadds) if cadds else None
                s["cadd_max"] = max(cadds) if cadds else None
                s["slow"] = med(ratios)
                s["slow_min"] = min(ratios) if ratios else None
                s["slow_max"] = max(ratios) if ratios else None
                s["cslow"] = med(cratios)
                for k in ("prof_cpu", "prof_rss_mb", "prof_wall", "samples", "work_samples", "expected",
                          "first_ms", "share_err", "depth", "post_cpu"):
                    s[k] = med([r.get(k) for r in rows])
                s["rss_max"] = max(r["prof_rss_mb"] for r in rows)
                s["lost"] = max((r["lost"] for r in rows if r.get("lost") is not None), default=None)
                s["first_max"] = max((r["first_ms"] for r in rows if r.get("first_ms") is not None),
                                     default=None)
                s["cpu_pct"] = med([100.0 * r["prof_cpu"] / r["prof_wall"] for r in rows])
                s["delivered"] = med([100.0 * r["work_samples"] / r["expected"] for r in rows
                                      if r.get("expected")])
                per = []
                bpf = []
                reads = []
                for r in rows:
                    tot = r["prof_cpu"] * 1e9 + r.get("bpf_ns", 0)
                    if r["samples"]:
                        per.append(tot / r["samples"] / 1000.0)
                    if c.kind == "pybpf" and r.get("stats_samples"):
                        bpf.append(r["bpf_ns"] / r["stats_samples"] / 1000.0)
                        if r.get("bpf_reads") is not None:
                            reads.append(r["bpf_reads"] / r["stats_samples"])
                s["stages_us"] = {k: med([r["stage_ns"][k] / r["stats_samples"] / 1000.0 for r in rows
                                          if r.get("stage_ns") and r.get("stats_samples")])
                                  for k in ("thread", "walk", "submit")} if c.extra else None
                s["cpu_per_sample_us"] = med(per)
                s["bpf_per_sample_us"] = med(bpf)
                s["reads_per_sample"] = med(reads)
                # BPF runs in the target's context: its share of the target's CPU
                s["bpf_pct"] = s["bpf_per_sample_us"] * c.rate / 1e4 if bpf else None
                leaves = [sum(r["leaf"].values()) for r in rows if r.get("leaf")]
                if leaves and wl and WORKLOADS[wl]["split"]:
                    p_ = max(WORKLOADS[wl]["split"].values()) / 100.0
                    n_ = statistics.median(leaves)
                    s["share_sigma"] = 100.0 * math.sqrt(p_ * (1 - p_) / n_) if n_ else None
            out[(wl, c.name)] = s
    return out


COLS = ["config", "slowdown % med [min..max]", "target CPU added ms [min..max]", "profiler CPU ms", "CPU % of a core", "peak RSS MB",
        "samples (all)", "timed-phase samples / expected", "lost", "CPU per sample us",
        "BPF per sample us", "BPF stages us: thread / walk / submit", "BPF reads per sample", "BPF % of target CPU", "first sample ms", "share error pp", "deepest stack"]


def table_rows(summary, cfgs, wl):
    rows = []
    for c in cfgs:
        s = summary.get((wl, c.name))
        if not runs_on(wl, c.target):
            continue
        if not s:
            rows.append([c.name] + ["failed"] + [""] * (len(COLS) - 2))
            continue
        if not c.kind:
            rows.append([c.name, "baseline: %.2f s wall [%+.0f..%+.0f%%]" % ((s["wall"],) + s["spread"])] +
                        [""] * (len(COLS) - 2))
            continue
        first = fmt(s["first_ms"], "%.0f")
        if c.kind == "austin" and s["first_ms"] is not None:
            first = "<= " + first
        rows.append([
            c.name,
            "%s [%s..%s]" % (fmt(s["slow"], "%+.1f"), fmt(s["slow_min"], "%+.1f"), fmt(s["slow_max"], "%+.1f")),
            "%s [%s..%s]" % (fmt(s["cadd_ms"], "%+.0f"), fmt(s["cadd_min"], "%+.0f"), fmt(s["cadd_max"], "%+.0f")),
            fmt(s["prof_cpu"] * 1000, "%.0f"),
            fmt(s["cpu_pct"], "%.1f"),
            fmt(s["rss_max"], "%.1f"),
            fmt(s["samples"], "%.0f"),
            "%s / %s (%s%%)" % (fmt(s["work_samples"], "%.0f"), fmt(s["expected"], "%.0f"),
                                fmt(s["delivered"], "%.0f")),
            fmt(s["lost"], "%d"),
            fmt(s["cpu_per_sample_us"], "%.1f"),
            fmt(s["bpf_per_sample_us"], "%.2f", "-"),
            " / ".join(fmt(s["stages_us"][k], "%.2f") for k in ("thread", "walk", "submit"))
            if s.get("stages_us") else "-",
            fmt(s.get("reads_per_sample"), "%.1f", "-"),
            fmt(s["bpf_pct"], "%.2f", "-"),
            first,
            fmt(s["share_err"], "%.1f", "-") + (" (σ %.1f)" % s["share_sigma"] if s.get("share_sigma") else ""),
            fmt(s["depth"], "%.0f"),
        ])
    return rows


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def text_table(header, rows):
    w = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    line = lambda r: "  ".join(str(x).ljust(n) for x, n in zip(r, w))
    return "\n".join([line(header), line(["-" * n for n in w])] + [line(r) for r in rows])


# ---------------------------------------------------------------- targets
def cpu_per_sample(r):
    n = r.get("stats_samples") or r.get("samples")
    return (r["prof_cpu"] * 1e9 + r.get("bpf_ns", 0)) / n / 1000.0 if n else None


def verdicts(summary, long_runs, quick):
    """The issue's targets, each met or missed by how much."""
    v = []
    long_run = long_runs.get("pybpf")
    lr_a = long_runs.get("austin")

    def get(wl, name, key):
        s = summary.get((wl, name))
        return s.get(key) if s else None

    def cheaper_than_austin(what, pb, au, goal):
        if pb and au:
            ratio = au / pb
            v.append(("total CPU per sample >= %gx lower than Austin's at 1000 Hz (%s)" % (goal, what),
                      "pybpf %.1f us vs austin -s %.1f us: %.1fx" % (pb, au, ratio), ratio >= goal,
                      "met" if ratio >= goal else "missed: %.1fx short of %gx" % (goal / ratio, goal)))

    # Issue 7's goal on the recursion; issue 15's on real stacks.
    for wl, goal in (("split", 20), ("deep", 20), ("chain", 15), ("suite", 15)):
        cheaper_than_austin(wl, get(wl, "pybpf 1000 Hz", "cpu_per_sample_us"),
                            get(wl, "austin -s -i 1ms", "cpu_per_sample_us"), goal)
    if long_run and lr_a and not long_run.get("error") and not lr_a.get("error"):
        cheaper_than_austin("%.0f s recordings, split" % long_run["prof_wall"], cpu_per_sample(long_run),
                            cpu_per_sample(lr_a), 15)
    for wl, limit in (("split", 2.0), ("deep", 20.0), ("chain", 3.0), ("suite", 6.0)):
        b = get(wl, "pybpf 1000 Hz", "bpf_per_sample_us")
        if b is not None:
            v.append(("BPF cost <= %g us per sample (%s)" % (limit, wl), "%.2f us" % b, b <= limit,
                      "met" if b <= limit else "missed by %.2f us (%.1fx)" % (b - limit, b / limit)))
    # The timer interrupt is the floor: pybpf may add at most 1.25x what it costs.
    for wl in WORKLOADS:
        pb = get(wl, "pybpf 10000 Hz", "cadd_ms")
        floor = get(wl, "perf cpu-clock 10000 Hz", "cadd_ms")
        if pb is not None and floor:
            ratio = pb / floor
            v.append(("target CPU added at 10 kHz <= 1.25x bare perf cpu-clock's (%s)" % wl,
                      "pybpf %+.0f ms vs perf %+.0f ms: %.2fx" % (pb, floor, ratio), ratio <= 1.25,
                      "met" if ratio <= 1.25 else "missed: %.2fx" % ratio))
    for wl in ("split", "deep", "julia", "threads"):
        s = summary.get((wl, "pybpf 1000 Hz"))
        if s and s.get("slow") is not None:
            # The BPF program's own share of the target's CPU is a floor under
            # the slowdown that noise cannot hide; the wall-time figure is noisy.
            worst = max(s["slow"], s.get("bpf_pct") or 0.0)
            b = summary.get((wl, "none py3.11"))
            noise = (b["spread"][1] - b["spread"][0]) / 2 if b else 0.0
            verdict = "met" if worst <= 1.0 else "missed by %.1f points" % (worst - 1.0)
            if abs(s["slow"] - 1.0) < noise and (s.get("bpf_pct") or 0.0) <= 1.0:
                verdict += " (not conclusive: the baseline alone varies by ±%.1f%%)" % noise
            v.append(("target slowdown <= 1%% at 1000 Hz (%s)" % wl,
                      "wall %+.1f%% [%+.1f..%+.1f]; BPF alone %.2f%% of the target's CPU"
                      % (s["slow"], s["slow_min"], s["slow_max"], s.get("bpf_pct") or 0.0),
                      worst <= 1.0, verdict))
    if long_run and not long_run.get("error"):
        pct = 100.0 * long_run["prof_cpu"] / long_run["prof_wall"]
        v.append(("pybpf's own CPU <= 1%% of a core at 1000 Hz (%.0f s recording)" % long_run["prof_wall"],
                  "%.2f%%" % pct, pct <= 1.0, "met" if pct <= 1.0 else "missed by %.2f points" % (pct - 1.0)))
    else:
        pcts = [summary[(w, "pybpf 1000 Hz")]["cpu_pct"] for w in WORKLOADS if (w, "pybpf 1000 Hz") in summary]
        if pcts:
            pct = max(pcts)
            v.append(("pybpf's own CPU <= 1% of a core at 1000 Hz (short runs: start-up included)",
                      "%.2f%% (worst workload)" % pct, pct <= 1.0,
                      "met" if pct <= 1.0 else "missed by %.2f points" % (pct - 1.0)))
    lost = [summary[(w, "pybpf 1000 Hz")]["lost"] for w in WORKLOADS if (w, "pybpf 1000 Hz") in summary]
    if long_run and long_run.get("lost") is not None:
        lost.append(long_run["lost"])
    if lost:
        v.append(("0 lost samples at 1000 Hz", "max %d" % max(lost), max(lost) == 0,
                  "met" if max(lost) == 0 else "missed: %d lost" % max(lost)))
    firsts = [s["first_max"] for (w, n), s in summary.items()
              if n.startswith("pybpf") and s.get("first_max") is not None]
    if firsts:
        f = max(firsts)
        v.append(("first sample within 250 ms", "worst %.0f ms over all pybpf runs" % f, f <= 250,
                  "met" if f <= 250 else "missed by %.0f ms" % (f - 250)))
    if long_run and not long_run.get("error"):
        rss = long_run["prof_rss_mb"]
        v.append(("peak RSS <= 30 MB, %.0f s recording at 1000 Hz" % long_run["prof_wall"], "%.1f MB" % rss,
                  rss <= 30, "met" if rss <= 30 else "missed by %.1f MB" % (rss - 30)))
    else:
        rss = [s["rss_max"] for (w, n), s in summary.items() if n == "pybpf 1000 Hz"]
        if rss:
            v.append(("peak RSS <= 30 MB at 1000 Hz (no 60 s recording in --quick: short runs only)",
                      "%.1f MB" % max(rss), max(rss) <= 30,
                      "met (short runs)" if max(rss) <= 30 else "missed by %.1f MB" % (max(rss) - 30)))
    for wl in ("split", "deep", "threads"):
        pb = get(wl, "pybpf 1000 Hz", "share_err")
        au = get(wl, "austin -s -i 1ms", "share_err")
        sig = get(wl, "pybpf 1000 Hz", "share_sigma")
        if pb is not None and au is not None:
            v.append(("share error no worse than Austin's (%s, 1000 Hz)" % wl,
                      "pybpf %.1f pp vs austin -s %.1f pp (sampling noise alone: σ ≈ %.1f pp)" % (pb, au, sig or 0),
                      pb <= au + 0.05,
                      ("met" if pb <= au + 0.05 else "missed by %.1f pp" % (pb - au)) +
                      (" (within sampling noise)" if sig and abs(pb - au) < sig else "")))
    return v
