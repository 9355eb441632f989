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
import collections
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WL_DIR = os.path.join(HERE, "workloads")
SYS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

# ---------------------------------------------------------------- workloads
# Work amounts give ~2.5-3 s of unprofiled wall time on this VM with
# Debian's python3.11 when the machine is quiet (more when it is not).  split: 60/30/10 across leaf_a/b/c, 27 frames at a
# leaf; deep: the same leaves under 400 frames; threads: 40/30/20/10 across
# work_0..3, one per thread.
WORKLOADS = {
    "julia": dict(script="julia.py", args=["--size", "1200"], split=None, frames=None,
                  what="pure-Python Julia set, 1200x1200, 100 iterations cap"),
    "split": dict(script="split.py", args=["--depth", "27", "--rounds", "2500"],
                  split={"leaf_a": 60, "leaf_b": 30, "leaf_c": 10}, frames=27,
                  what="recursive, leaf_a/b/c = 60/30/10 % of CPU, 27 frames at the leaves"),
    "threads": dict(script="threads.py", args=["--reps", "300"],
                    split={"work_0": 40, "work_1": 30, "work_2": 20, "work_3": 10}, frames=None,
                    what="4 CPU-bound threads, work 40/30/20/10 %, main thread joins"),
    "deep": dict(script="split.py", args=["--depth", "400", "--rounds", "2800"],
                 split={"leaf_a": 60, "leaf_b": 30, "leaf_c": 10}, frames=400,
                 what="as split, 400 frames at the leaves"),
}


class Target:
    """How to start a workload on one interpreter."""

    def __init__(self, key, label, tree=None):
        self.key, self.label, self.tree = key, label, tree
        self.version = "?"

    def argv(self, script, args):
        if self.key == "py3.11":
            return ["/usr/bin/python3.11", os.path.join(WL_DIR, script)] + args
        inner = "/pybpf-bench/" + script
        if self.key == "py3.15":
            # Its own mount namespace with /proc mounted inside the tree, so
            # that the 3.15 sampler (which reads /proc/PID/maps and opens the
            # paths it names) can join it with nsenter -m -r.  Nothing is
            # mounted on the host.
            return ["unshare", "-m", "sh", "-c",
                    'mount -t proc proc "$0/proc" && exec chroot "$0" /usr/bin/python3.15 "$@"',
                    self.tree, inner] + args
        if self.key == "py3.13perf":
            return ["chroot", self.tree, "/usr/bin/python3.13", "-X", "perf", inner] + args
        raise ValueError(self.key)

    def env(self):
        if self.key == "py3.11":
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
            env.update(PATH=SYS_PATH, PYTHONDONTWRITEBYTECODE="1")
            return env
        return {"PATH": SYS_PATH, "LC_ALL": "C", "PYTHONDONTWRITEBYTECODE": "1"}


# ---------------------------------------------------------------- configs
class Config:
    def __init__(self, name, target, kind=None, rate=None, mode="cpu", label=None):
        self.name, self.target, self.kind, self.rate, self.mode = name, target, kind, rate, mode
        self.label = label or name

    @property
    def baseline(self):
        return "none " + self.target


def configs(quick):
    c = [Config("none", "py3.11"),
         Config("pybpf 100 Hz", "py3.11", "pybpf", 100),
         Config("pybpf 1000 Hz", "py3.11", "pybpf", 1000),
         Config("pybpf 10000 Hz", "py3.11", "pybpf", 10000)]
    for us in ([1000] if quick else [10000, 1000, 100]):
        iv = "%dms" % (us // 1000) if us >= 1000 else "%dus" % us
        c.append(Config("austin -s -i %s" % iv, "py3.11", "austin", 1e6 / us, "cpu"))
        c.append(Config("austin -i %s (wall)" % iv, "py3.11", "austin", 1e6 / us, "wall"))
    c += [Config("none", "py3.15"),
          Config("pybpf 1000 Hz", "py3.15", "pybpf", 1000)]
    for hz in ([1000] if quick else [100, 1000, 10000]):
        c.append(Config("profiling.sampling -r %d --mode cpu" % hz, "py3.15", "pysampling", hz, "cpu"))
    if not quick:
        c.append(Config("profiling.sampling -r 1000 (wall)", "py3.15", "pysampling", 1000, "wall"))
    c += [Config("none", "py3.13perf")]
    if not quick:
        c.append(Config("pybpf 1000 Hz", "py3.13perf", "pybpf", 1000))
    for hz in ([1000] if quick else [100, 1000]):
        c.append(Config("perf -F %d dwarf" % hz, "py3.13perf", "perf", hz, "cpu"))
    for x in c:
        if x.name == "none":
            x.name = "none " + x.target
        elif x.target != "py3.11":
            x.name += " [%s]" % x.target[2:6]
    return c


# ---------------------------------------------------------------- profiles
def short(name):
    """main.<locals>.bench_work -> bench_work"""
    return name.rsplit(".", 1)[-1] if "<" not in name.rsplit(".", 1)[-1] else name


class Acc:
    """Streaming summary of a profile: total samples, samples of the timed
    phase (any Python frame and no standby() frame), samples per known leaf,
    and the deepest Python stack seen."""

    def __init__(self, split):
        self.split = split or {}
        self.total = self.work = 0
        self.leaf = collections.Counter()
        self.depth = 0

    def add(self, funcs, count=1):
        self.total += count
        if not funcs:
            return
        names = {short(f) for f in funcs}
        if "standby" in names:
            return
        self.work += count
        self.depth = max(self.depth, len(funcs))
        for leaf in self.split:
            if leaf in names:
                self.leaf[leaf] += count
                break

    def share_error(self):
        """Largest |measured - known| share over the leaves, in points."""
        n = sum(self.leaf.values())
        if not self.split or n == 0:
            return None
        return max(abs(100.0 * self.leaf[k] / n - v) for k, v in self.split.items())


def parse_speedscope(path, rate, acc):
    with open(path) as f:
        d = json.load(f)
    frames = [fr.get("name", "") for fr in d["shared"]["frames"]]
    interval = 1e9 / rate
    for p in d["profiles"]:
        for stack, w in zip(p["samples"], p["weights"]):
            acc.add([frames[i] for i in stack], int(round(w / interval)))


def frame_func(fr):
    # austin: /path/file.py:func:line   profiling.sampling: file.py:func:line
    parts = fr.rsplit(":", 2)
    return parts[1] if len(parts) == 3 else fr


def parse_collapsed(path, acc, austin):
    """Austin's output (one line per sample, P<pid>;T<iid>:<tid>;frames
    metric) or profiling.sampling --collapsed (tid:N;frames count)."""
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            stack, _, last = line.rstrip("\n").rpartition(" ")
            parts = stack.split(";")
            frames = parts[2:] if austin else parts[1:]
            funcs = [frame_func(x) for x in frames if x]
            acc.add(funcs, 1 if austin else int(last))


PERF_HDR = re.compile(r"^\S.*?\s(\d+)\s+(\d+\.\d+):")


def parse_perf_script(text_iter, acc):
    """perf script output: a header line, then frames innermost first.
    Python frames are the -X perf trampolines, named py::func:file.
    Returns the first sample's timestamp (CLOCK_MONOTONIC, s)."""
    first = None
    funcs = None

    def flush():
        if funcs is not None:
            acc.add(list(reversed(funcs)))

    for line in text_iter:
        if not line.strip():
            continue
        if not line[0].isspace():
            flush()
            funcs = []
            m = PERF_HDR.match(line)
            if m and first is None:
                first = float(m.group(2))
            continue
        if funcs is None:
            continue
        sym = line.strip().split(None, 1)
        if len(sym) == 2 and sym[1].startswith("py::"):
            funcs.append(sym[1][4:].split(":", 1)[0])
    flush()
    return first


# ---------------------------------------------------------------- running
class Bench:
    def __init__(self, a):
        self.a = a
        self.tree = os.path.abspath(os.path.join(a.build, "peers", "sid"))
        self.tmp = tempfile.mkdtemp(prefix="pybpf-bench-")
        self.pybpf = os.path.join(self.tmp, "pybpf")
        self.targets = {"py3.11": Target("py3.11", "Debian python3.11"),
                        "py3.15": Target("py3.15", "Debian sid python3.15 (chroot + mount ns)", self.tree),
                        "py3.13perf": Target("py3.13perf", "Debian sid python3.13 -X perf (chroot)", self.tree)}
        self.loader = [os.path.join(self.tree, "lib64/ld-linux-x86-64.so.2"), "--library-path",
                       os.path.join(self.tree, "usr/lib/x86_64-linux-gnu"),
                       os.path.join(self.tree, "usr/bin/austin")]
        self.notes = []
        self.seq = 0

    # -- setup
    def setup(self):
        if os.geteuid() != 0:
            sys.exit("bench: run as root (pybpf, austin -p, perf and chroot need it)")
        if not os.path.isfile(os.path.join(self.tree, ".complete")):
            sys.exit("bench: no peers in %s: run tools/provision-peers.sh %s" % (self.tree, self.a.build))
        self.snapshot_pybpf()
        dst = os.path.join(self.tree, "pybpf-bench")
        os.makedirs(dst, exist_ok=True)
        os.makedirs(os.path.join(self.tree, "proc"), exist_ok=True)
        for f in os.listdir(WL_DIR):
            if f.endswith(".py"):
                shutil.copy(os.path.join(WL_DIR, f), dst)
        for t in self.targets.values():
            out = subprocess.run(self.version_cmd(t), env=t.env(), capture_output=True, text=True)
            t.version = out.stdout.strip() or "?"
        self.versions = {
            "austin": self.capture(self.loader + ["--version"]),
            "perf": self.capture(["perf", "version"]),
            "kernel": platform.release(),
        }

    def version_cmd(self, t):
        code = "import sys; print(sys.version.split()[0])"
        if t.key == "py3.11":
            return ["/usr/bin/python3.11", "-c", code]
        return ["chroot", self.tree, "/usr/bin/python" + t.key[2:6], "-c", code]

    @staticmethod
    def capture(argv):
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
            return (r.stdout + r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "?"

    def snapshot_pybpf(self):
        """Copy build/pybpf once (others rebuild it now and then): every run
        uses the same binary.  Wait if it is briefly missing."""
        src = self.a.pybpf
        for _ in range(120):
            if os.path.isfile(src) and os.access(src, os.X_OK):
                try:
                    shutil.copy2(src, self.pybpf)
                    r = subprocess.run([self.pybpf, "record", "--help"], capture_output=True)
                    if r.returncode == 0:
                        return
                except OSError:
                    pass
            time.sleep(2)
        sys.exit("bench: %s missing or broken for 4 minutes" % src)

    # -- profilers
    def profiler(self, cfg, pid, wl):
        """argv, env, output file, stats file for one configuration."""
        self.seq += 1
        base = os.path.join(self.tmp, "run%d" % self.seq)
        if cfg.kind == "pybpf":
            out, stats = base + ".json", base + ".stats.json"
            return ([self.pybpf, "record", "-p", str(pid), "-r", str(cfg.rate), "--stats", stats,
                     "-o", out], None, out, stats)
        if cfg.kind == "austin":
            out = base + ".austin"
            us = int(round(1e6 / cfg.rate))
            iv = "%dms" % (us // 1000) if us >= 1000 and us % 1000 == 0 else "%dus" % us
            argv = self.loader + (["-s"] if cfg.mode == "cpu" else []) + ["-i", iv, "-p", str(pid), "-o", out]
            return argv, None, out, None
        if cfg.kind == "pysampling":
            name = "/tmp/pybpf-bench-%d-%d.collapsed" % (os.getpid(), self.seq)
            argv = ["nsenter", "-t", str(pid), "-m", "-r", "-w", "/usr/bin/python3.15", "-m",
                    "profiling.sampling", "attach", "-r", str(cfg.rate), "--mode", cfg.mode, "-a",
                    "--collapsed", "-o", name, str(pid)]
            return argv, {"PATH": SYS_PATH, "LC_ALL": "C"}, self.tree + name, None
        if cfg.kind == "perf":
            out = base + ".perf.data"
            return (["perf", "record", "-q", "-F", str(cfg.rate), "--call-graph", "dwarf", "-k", "mono",
                     "-p", str(pid), "-o", out], None, out, None)
        raise ValueError(cfg.kind)

    # -- one run
    def run_one(self, wl_name, cfg, rnd, override_args=None):
        wl = WORKLOADS[wl_name]
        tgt = self.targets[cfg.target]
        args = override_args or wl["args"]
        r = dict(workload=wl_name, config=cfg.name, round=rnd, error=None)
        terr = open(os.path.join(self.tmp, "target.err"), "w+")
        t = subprocess.Popen(tgt.argv(wl["script"], args), env=tgt.env(), stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=terr, cwd="/")
        prof = perr = None
        try:
            line = self.readline(t.stdout, 60)
            if line.strip() != "ready":
                raise RuntimeError("target did not start: %r %s" % (line, self.tail(terr)))
            out = stats = None
            t_start = time.monotonic()
            if cfg.kind:
                argv, env, out, stats = self.profiler(cfg, t.pid, wl)
                perr = open(os.path.join(self.tmp, "prof.err"), "w+")
                # GNU time measures the profiler's peak RSS: a child forked
                # from this Python process would carry the parent's RSS in
                # its ru_maxrss across exec (the kernel keeps the pre-exec
                # high-water mark); time's own child starts at ~2 MB.
                rss_file = os.path.join(self.tmp, "prof.rss")
                prof = subprocess.Popen(["/usr/bin/time", "-o", rss_file, "-f", "%M"] + argv, env=env,
                                        stdout=perr, stderr=subprocess.STDOUT, cwd="/",
                                        start_new_session=True)
            first_flush = self.settle(prof, out if cfg.kind == "austin" else None, t_start)
            if prof is not None and prof.poll() is not None:
                raise RuntimeError("%s exited early (%s): %s" % (cfg.kind, prof.returncode, self.tail(perr)))
            t.stdin.write(b"go\n")
            t.stdin.close()
            rest = t.stdout.read().decode(errors="replace")
            _, tstatus, _ = os.wait4(t.pid, 0)
            t.returncode = os.waitstatus_to_exitcode(tstatus)
            res = [x for x in rest.splitlines() if x.startswith("result ")]
            if t.returncode != 0 or not res:
                raise RuntimeError("target failed (%s): %s" % (t.returncode, self.tail(terr)))
            res = json.loads(res[0][7:])
            r.update(wall=res["wall_s"], cpu=res["cpu_s"],
                     thread_wall=res["wall_s"] + sum(res.get("thread_wall_s", [])))
            if prof is None:
                return r
            status, ru, t_end = self.reap(prof, 120)
            with open(rss_file) as f:
                rss_kb = int(f.read().split()[-1])
            r.update(prof_cpu=ru.ru_utime + ru.ru_stime, prof_rss_mb=rss_kb / 1024.0,
                     prof_wall=t_end - t_start, prof_status=status)
            if status != 0 and not (cfg.kind == "austin" and status in (0,)):
                self.note("%s exited %s on %s (round %d): %s" % (cfg.name, status, wl_name, rnd, self.tail(perr)))
            self.collect(cfg, wl, r, out, stats, perr, t_start, first_flush)
        except Exception as e:  # one failed run must not end the benchmark
            r["error"] = str(e)[:300]
            self.note("%s on %s (round %d) failed: %s" % (cfg.name, wl_name, rnd, r["error"]))
            for p in (t, prof):
                if p is not None and p.returncode is None:
                    try:
                        os.kill(p.pid, signal.SIGKILL)
                        if p is prof:
                            os.killpg(p.pid, signal.SIGKILL)
                        os.waitpid(p.pid, 0)
                        p.returncode = -9
                    except OSError:
                        pass
        finally:
            terr.close()
            if perr:
                perr.close()
            for f in os.listdir(self.tmp):
                if f.startswith("run"):
                    os.unlink(os.path.join(self.tmp, f))
            for f in os.listdir(os.path.join(self.tree, "tmp")):
                if f.startswith("pybpf-bench-") or f.startswith("perf-"):
                    os.unlink(os.path.join(self.tree, "tmp", f))
        return r

    def collect(self, cfg, wl, r, out, stats, perr, t_start, first_flush):
        acc = Acc(wl["split"])
        perr.seek(0)
        errtext = ANSI.sub("", perr.read())
        lost = None
        first_ms = None
        if cfg.kind == "pybpf":
            with open(stats) as f:
                st = json.load(f)
            parse_speedscope(out, cfg.rate, acc)
            lost = st["lost"]
            first_ms = st["first_sample_ms"] if st["first_sample_ms"] >= 0 else None
            r.update(bpf_ns=st["bpf_run_time_ns"], bpf_cnt=st["bpf_run_cnt"], stats_samples=st["samples"],
                     read_errors=st["read_errors"], bpf_reads=st.get("bpf_reads"))
        elif cfg.kind == "austin":
            parse_collapsed(out, acc, True)
            m = re.search(r"Error rate\s*:\s*(\d+)/(\d+)", errtext)
            lost = int(m.group(1)) if m else None
            first_ms = first_flush
        elif cfg.kind == "pysampling":
            parse_collapsed(out, acc, False)
            m = re.search(r"Error rate:\s*([\d.]+)", errtext)
            c = re.search(r"Captured (\d+) samples", errtext)
            if m and c:
                lost = int(round(float(m.group(1)) / 100.0 * int(c.group(1))))
        elif cfg.kind == "perf":
            for f in os.listdir(os.path.join(self.tree, "tmp")):
                if f.startswith("perf-") and f.endswith(".map"):
                    shutil.copy(os.path.join(self.tree, "tmp", f), os.path.join("/tmp", f))
                    self.perf_maps.append(os.path.join("/tmp", f))
            c0 = os.times()
            p = subprocess.Popen(["perf", "script", "-i", out], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace")
            first = parse_perf_script(p.stdout, acc)
            serr = p.stderr.read()
            p.wait()
            c1 = os.times()
            r["post_cpu"] = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
            for m in self.perf_maps:
                if os.path.exists(m):
                    os.unlink(m)
            self.perf_maps = []
            m = re.search(r"lost (\d+)", errtext + serr)
            lost = int(m.group(1)) if m else 0
            if first is not None:
                first_ms = (first - t_start) * 1000.0
        r.update(samples=acc.total, work_samples=acc.work, lost=lost, first_ms=first_ms,
                 share_err=acc.share_error(), depth=acc.depth,
                 leaf={k: acc.leaf[k] for k in acc.split})
        if cfg.kind == "pybpf":
            r["samples"] = r["stats_samples"]
        exp_time = r["cpu"] if cfg.mode == "cpu" else r["thread_wall"]
        r["expected"] = cfg.rate * exp_time

    perf_maps = []

    def settle(self, prof, austin_out, t_start):
        """Wait --settle s with the target in standby.  For austin, also
        note when its first sample reaches the output file (an upper bound
        on its time to first sample: stdio buffering)."""
        first = None
        deadline = t_start + self.a.settle
        while time.monotonic() < deadline:
            if austin_out and first is None:
                try:
                    with open(austin_out, "rb") as f:
                        data = f.read(1 << 16)
                    if b"\nP" in data or data.startswith(b"P"):
                        first = (time.monotonic() - t_start) * 1000.0
                except OSError:
                    pass
            if prof is not None and prof.poll() is not None:
                break
            time.sleep(0.002 if austin_out and first is None else 0.02)
        return first

    @staticmethod
    def readline(stream, timeout):
        r, _, _ = select.select([stream], [], [], timeout)
        return stream.readline().decode(errors="replace") if r else ""

    @staticmethod
    def reap(p, timeout):
        """Wait for the profiler to stop by itself (it follows the target's
        exit); after `timeout` s, SIGINT, then SIGKILL."""
        deadline = time.monotonic() + timeout
        sent = None
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                p.returncode = os.waitstatus_to_exitcode(status)
                return p.returncode, ru, time.monotonic()
            now = time.monotonic()
            if now > deadline and sent is None:
                os.killpg(p.pid, signal.SIGINT)
                sent, deadline = signal.SIGINT, now + 20
            elif now > deadline:
                os.killpg(p.pid, signal.SIGKILL)
                deadline = now + 1e9
            time.sleep(0.005)

    @staticmethod
    def tail(f):
        try:
            f.seek(0)
            return ANSI.sub("", f.read())[-400:].replace("\n", " | ")
        except (OSError, ValueError):
            return ""

    def note(self, s):
        self.notes.append(s)
        print("  ! " + s, flush=True)


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
                ratios, cratios = [], []
                for r in rows:
                    b = by.get((wl, c.baseline, r["round"]))
                    if b:
                        ratios.append(100.0 * (r["wall"] / b["wall"] - 1.0))
                        cratios.append(100.0 * (r["cpu"] / b["cpu"] - 1.0))
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


COLS = ["config", "slowdown % med [min..max]", "profiler CPU ms", "CPU % of a core", "peak RSS MB",
        "samples (all)", "timed-phase samples / expected", "lost", "CPU per sample us",
        "BPF per sample us", "BPF reads per sample", "BPF % of target CPU", "first sample ms", "share error pp", "deepest stack"]


def table_rows(summary, cfgs, wl):
    rows = []
    for c in cfgs:
        s = summary.get((wl, c.name))
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
            fmt(s["prof_cpu"] * 1000, "%.0f"),
            fmt(s["cpu_pct"], "%.1f"),
            fmt(s["rss_max"], "%.1f"),
            fmt(s["samples"], "%.0f"),
            "%s / %s (%s%%)" % (fmt(s["work_samples"], "%.0f"), fmt(s["expected"], "%.0f"),
                                fmt(s["delivered"], "%.0f")),
            fmt(s["lost"], "%d"),
            fmt(s["cpu_per_sample_us"], "%.1f"),
            fmt(s["bpf_per_sample_us"], "%.2f", "-"),
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

    for wl, frames in (("split", 27), ("deep", 400)):
        pb = get(wl, "pybpf 1000 Hz", "cpu_per_sample_us")
        au = get(wl, "austin -s -i 1ms", "cpu_per_sample_us")
        if pb and au:
            ratio = au / pb
            v.append(("total CPU per sample >= 20x lower than Austin's at 1000 Hz (%d frames)" % frames,
                      "pybpf %.1f us vs austin -s %.1f us: %.1fx" % (pb, au, ratio),
                      ratio >= 20, "met" if ratio >= 20 else "missed: %.1fx short of 20x" % (20 / ratio)))
    if long_run and lr_a and not long_run.get("error") and not lr_a.get("error"):
        pb, au = cpu_per_sample(long_run), cpu_per_sample(lr_a)
        if pb and au:
            ratio = au / pb
            v.append(("total CPU per sample >= 20x lower than Austin's at 1000 Hz (%.0f s recordings, 27 frames)"
                      % long_run["prof_wall"], "pybpf %.1f us vs austin -s %.1f us: %.1fx" % (pb, au, ratio),
                      ratio >= 20, "met" if ratio >= 20 else "missed: %.1fx short of 20x" % (20 / ratio)))
    for wl, frames, limit in (("split", 27, 2.0), ("deep", 400, 20.0)):
        b = get(wl, "pybpf 1000 Hz", "bpf_per_sample_us")
        if b is not None:
            v.append(("BPF cost <= %g us per %d-frame sample" % (limit, frames), "%.2f us" % b, b <= limit,
                      "met" if b <= limit else "missed by %.2f us (%.1fx)" % (b - limit, b / limit)))
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
    cfgs = configs(a.quick)
    if a.only:
        keys = a.only.split(",")
        cfgs = [c for c in cfgs if not c.kind or any(k in c.name for k in keys)]
    jobs = [(w, c) for w in a.workloads for c in cfgs]
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
