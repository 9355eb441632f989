"""One run: start the target, attach a profiler, time the work, collect
the figures (see bench.py for the protocol)."""
import json
import os
import platform
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from bench_parse import Acc, parse_collapsed, parse_perf_samples, parse_perf_script, parse_speedscope
from bench_setup import CHAIN_MODULE, SYS_PATH, WL_DIR, WORKLOADS, Target

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# ---------------------------------------------------------------- running
class Bench:
    def __init__(self, a):
        self.a = a
        self.tree = os.path.abspath(os.path.join(a.build, "peers", "sid"))
        self.tmp = tempfile.mkdtemp(prefix="pybpf-bench-")
        self.pybpf = os.path.join(self.tmp, "pybpf")
        self.pybpf_base = os.path.join(self.tmp, "pybpf-base")
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
        self.snapshot_pybpf(self.a.pybpf, self.pybpf)
        if self.a.base:
            self.snapshot_pybpf(self.a.base, self.pybpf_base)
        dst = os.path.join(self.tree, "pybpf-bench")
        os.makedirs(dst, exist_ok=True)
        os.makedirs(os.path.join(self.tree, "proc"), exist_ok=True)
        for f in os.listdir(WL_DIR):
            if f.endswith(".py"):
                shutil.copy(os.path.join(WL_DIR, f), dst)
        shutil.copy(CHAIN_MODULE, dst)
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

    def snapshot_pybpf(self, src, dst):
        """Copy a pybpf binary once (others rebuild it now and then): every
        run uses the same binary.  Wait if it is briefly missing."""
        for _ in range(120):
            if os.path.isfile(src) and os.access(src, os.X_OK):
                try:
                    shutil.copy2(src, dst)
                    r = subprocess.run([dst, "record", "--help"], capture_output=True)
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
            binary = self.pybpf_base if cfg.base else self.pybpf
            return ([binary, "record", "-p", str(pid), "-r", str(cfg.rate), "--stats", stats,
                     "-o", out] + cfg.extra, dict(os.environ, **cfg.env) if cfg.env else None, out, stats)
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
        if cfg.kind == "perfclock":
            out = base + ".perf.data"
            return (["perf", "record", "-q", "-e", "cpu-clock", "-F", str(cfg.rate), "-k", "mono",
                     "-p", str(pid), "-o", out], None, out, None)
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
                     read_errors=st["read_errors"], bpf_reads=st.get("bpf_reads"),
                     stage_ns=st.get("stage_ns"))
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
        elif cfg.kind in ("perf", "perfclock"):
            for f in os.listdir(os.path.join(self.tree, "tmp")):
                if f.startswith("perf-") and f.endswith(".map"):
                    shutil.copy(os.path.join(self.tree, "tmp", f), os.path.join("/tmp", f))
                    self.perf_maps.append(os.path.join("/tmp", f))
            c0 = os.times()
            p = subprocess.Popen(["perf", "script", "-i", out], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace")
            first = (parse_perf_script if cfg.kind == "perf" else parse_perf_samples)(p.stdout, acc)
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
