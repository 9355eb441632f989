#!/usr/bin/env python3
"""pybpf integration tests: the real BPF program profiling real CPython
processes.  Run as root:  python3 tests/integration/run.py --pybpf build/pybpf

Every recording is also validated against speedscope's own JSON schema.
A test that needs BPF never skips: if pybpf cannot load its program, the
test fails.  Tests skip only when an optional interpreter is absent."""
import argparse
import collections
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKLOADS = os.path.join(ROOT, "tests", "workloads")
VALIDATOR = os.path.join(ROOT, "tools", "validate-speedscope.js")

PYBPF = None
BUILD = None
TMP = None
TESTS = []
UNICODE_FILE = "fünf_函数_𠀀.py"     # Latin-1, UCS-2 and UCS-4 in a file name
PIVOT_ROOT = """set -e
tree=$1; shift
mount --bind "$tree" "$tree"
cd "$tree"
mkdir -p .oldroot
pivot_root . .oldroot
cd /
exec "$@"
"""


class Skip(Exception):
    pass


class Interpreter:
    """One CPython build, and how to start a workload with it.

    chroot/pivot_root interpreters run from a Debian tree fetched by
    tools/provision-pythons.sh: /proc/PID/maps paths then only resolve
    inside the target's root, as in a container."""

    def __init__(self, kind, python, tree=None, pivot=False, required=True):
        self.kind, self.python, self.tree, self.pivot = kind, python, tree, pivot
        self.required = required
        self.version = "?"
        self.samples = 0
        self.failures = 0

    def label(self):
        return "%s %s" % (os.path.basename(self.python), self.kind)

    def available(self):
        host = os.path.join(self.tree, self.python.lstrip("/")) if self.tree else self.python
        if os.path.exists(host):
            return
        if self.required:
            raise AssertionError("%s is missing: run `make deps pythons`" % host)
        raise Skip("%s not present on this machine" % host)

    def script_dir(self):
        """(directory on the host, the same directory as the target sees it)"""
        if self.tree:
            return os.path.join(self.tree, "pybpf-workloads"), "/pybpf-workloads"
        return os.path.join(TMP, "workloads"), os.path.join(TMP, "workloads")

    def argv(self, script, args):
        host_dir, seen_dir = self.script_dir()
        os.makedirs(host_dir, exist_ok=True)
        for name in os.listdir(WORKLOADS):
            if name.endswith(".py"):
                shutil.copy(os.path.join(WORKLOADS, name), host_dir)
        shutil.copy(os.path.join(WORKLOADS, "unicode_names.py"), os.path.join(host_dir, UNICODE_FILE))
        cmd = [self.python, os.path.join(seen_dir, script)] + [str(a) for a in args]
        if self.pivot:
            return ["unshare", "--mount", "--propagation", "private", "sh", "-c", PIVOT_ROOT,
                    "sh", self.tree] + cmd
        if self.tree:
            return ["chroot", self.tree] + cmd
        return cmd


def interpreters():
    found = [Interpreter("debian bookworm, static", "/usr/bin/python3.11")]
    by_version = lambda p: [int(x) for x in re.findall(r"\d+", p.split("/versions/")[1].split("/")[0])]
    for path in sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python3.*"), key=by_version):
        m = re.fullmatch(r".*/python3\.(\d+)", path)
        if m and int(m.group(1)) >= 8:
            found.append(Interpreter("pyenv, shared libpython", path, required=False))
    found.append(Interpreter("embedded libpython3.11 (debian)", os.path.join(BUILD, "embedded-app")))
    pythons = os.path.join(BUILD, "pythons")
    for suite, versions in (("bullseye", ["3.9"]), ("sid", ["3.13", "3.14", "3.15"])):
        for v in versions:
            found.append(Interpreter("debian %s, static, chroot" % suite, "/usr/bin/python" + v,
                                     tree=os.path.join(pythons, suite)))
    found.append(Interpreter("debian sid, static, pivot_root mount namespace", "/usr/bin/python3.14",
                             tree=os.path.join(pythons, "sid"), pivot=True))
    return found


def test(fn):
    TESTS.append((fn.__name__, fn, None))
    return fn


MATRIX = []


def per_interpreter(fn):
    MATRIX.append(fn)
    return fn


def line_of(script, marker):
    with open(os.path.join(WORKLOADS, script), encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            if text.rstrip().endswith("# " + marker):
                return number
    raise AssertionError("marker %s not in %s" % (marker, script))


class Workload:
    """A Python process running one of tests/workloads, ready once it says so."""

    def __init__(self, interp, script, *args, env=None):
        if isinstance(interp, str):
            interp = Interpreter("", interp)
        self.argv = interp.argv(script, args)

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.strip() == "ready", "workload %s did not start: %r" % (self.argv, line)
        self.pid = self.proc.pid
        return self

    def __exit__(self, *exc):
        self.proc.stdout.close()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def run_pybpf(args, timeout=60, **kwargs):
    return subprocess.run([PYBPF] + args, capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def validate(path):
    result = subprocess.run(["node", VALIDATOR, path], capture_output=True, text=True)
    assert result.returncode == 0, "speedscope schema check failed:\n" + result.stdout + result.stderr


def record(pid, seconds=3, rate=1000, name="out", extra=(), interp=None, env=None):
    out = os.path.join(TMP, "%s-%d.json" % (name, pid))
    args = ["record", "-p", str(pid), "-r", str(rate), "-o", out] + list(extra)
    if seconds:
        args += ["-d", str(seconds)]
    result = run_pybpf(args, env=dict(os.environ, **(env or {})))
    assert result.returncode == 0, "pybpf failed (%d): %s" % (result.returncode, result.stderr)
    validate(out)
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    if interp:
        m = re.search(r"^pybpf:\s+\d+\s+\d+\s+(\d\S*)\s", result.stderr, re.M)
        interp.version = m.group(1) if m else "?"
        interp.samples += sum(sum(p["weights"]) for p in doc["profiles"]) // int(1e9 / rate)
    return doc, result.stderr


def cpu_seconds(pid):
    """CPU time PID's threads have used so far (user + system), in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_field(pid, name):
    """A field of /proc/PID/status; None once PID is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(name + ":"):
                    return line.split(":", 1)[1].strip()
    except FileNotFoundError:
        return None
    raise AssertionError("no %s in /proc/%d/status" % (name, pid))


def wait_for(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def wait_attached(proc):
    """Until pybpf PROC has attached and dropped its privileges (or ended),
    however long its start-up takes on this machine."""
    wait_for(lambda: proc.poll() is not None or status_field(proc.pid, "NoNewPrivs") == "1",
             60, "pybpf to start")


def record_counting_cpu(pid, extra=(), **kwargs):
    """record() with --stats, and the CPU time PID used while it was
    profiled: the samples a recording can hold on any machine, however
    loaded, are that times the rate.  pybpf measures that window itself
    (its start-up, long on a loaded machine, is not in it); it must lie
    within the CPU time PID used over pybpf's whole run, measured here."""
    stats_path = os.path.join(TMP, "cpu-%d.stats.json" % pid)
    before = cpu_seconds(pid)
    doc, err = record(pid, extra=list(extra) + ["--stats", stats_path], **kwargs)
    outside = cpu_seconds(pid) - before
    with open(stats_path, encoding="utf-8") as f:
        stats = json.load(f)
    inside = [p["cpu_s"] for p in stats["processes"] if p["pid"] == pid]
    assert len(inside) == 1 and inside[0] is not None, "no cpu_s for PID %d: %s" % (pid, stats["processes"])
    # A clock tick (10 ms) each end is the resolution of both readings.
    assert 0 < inside[0] <= outside + 0.02, "profiled for %.2f s of CPU of %.2f s in all" % (inside[0], outside)
    stats["cpu_s"] = inside[0]
    return doc, err, inside[0], stats


def stacks(doc, profile):
    """[(frames root first, weight)] of one speedscope profile."""
    frames = doc["shared"]["frames"]
    return [([frames[i] for i in s], w) for s, w in zip(profile["samples"], profile["weights"])]


MARKERS = ("[incomplete stack: ", "[outer frames not read: ", "[thread state not found yet]")


def marked(frames):
    """Whether a stack (root first) says it is not whole."""
    return bool(frames) and frames[0]["name"].startswith(MARKERS)


def main_profile(doc, pid):
    matches = [p for p in doc["profiles"] if "thread %d " % pid in p["name"]]
    assert len(matches) == 1, "expected one profile for main thread %d, got %s" % (
        pid, [p["name"] for p in doc["profiles"]])
    return matches[0]


def expect_error(result, pattern, code=1):
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    assert result.returncode == code, "exit %d, expected %d: %s" % (result.returncode, code, result.stderr)
    assert len(lines) == 1, "expected one error line, got: %r" % lines
    assert re.search(pattern, lines[0]), "error %r does not match %r" % (lines[0], pattern)


# ---- profiles of real workloads --------------------------------------------

def leaf_lines(leaf):
    """Every line of split.py's LEAF, from its def (3.11+'s RESUME) to its return."""
    loop = line_of("split.py", "LOOP-" + leaf[-1].upper())
    return range(loop - 2, loop + 3)


@per_interpreter
def known_split(interp):
    seconds, interval = 3, 1e9 / 1000
    with Workload(interp, "split.py") as w:
        doc, _, cpu, _ = record_counting_cpu(w.pid, seconds=seconds, name="split", interp=interp)
    profile = main_profile(doc, w.pid)
    hot = {"leaf_a": line_of("split.py", "HOT-A"), "leaf_b": line_of("split.py", "HOT-B"),
           "leaf_c": line_of("split.py", "HOT-C")}
    loop = {leaf: line_of("split.py", "LOOP-" + leaf[-1].upper()) for leaf in hot}
    call = {"leaf_a": line_of("split.py", "CALL-A"), "leaf_b": line_of("split.py", "CALL-B"),
            "leaf_c": line_of("split.py", "CALL-C")}
    module_line = max(n for n, l in enumerate(open(os.path.join(WORKLOADS, "split.py")), 1)
                      if l.strip() == "main()")
    leaf_weight = collections.Counter()
    total = off_line = on_hot = on_loop = 0
    for frames, weight in stacks(doc, profile):
        total += weight
        leaf = frames[-1]["name"]
        if leaf not in hot:
            continue
        expected = [("<module>", module_line), ("main", call[leaf])] + \
            [("recurse", line_of("split.py", "CALL-RECURSE"))] * 20 + \
            [("recurse", line_of("split.py", "CALL-LEAF"))]
        got = [(f["name"], f.get("line")) for f in frames[:-1]]
        if marked(frames):
            # What an incomplete stack shows is still the innermost part of the real one.
            assert got[1:] == expected[len(expected) - len(got) + 1:], "marked stack %s" % got
        else:
            assert got == expected, "wrong prefix for %s: %s" % (leaf, got)
        leaf_weight[leaf] += weight
        if frames[-1]["line"] == hot[leaf]:
            on_hot += weight
        elif frames[-1]["line"] == loop[leaf]:
            on_loop += weight
        elif frames[-1]["line"] not in leaf_lines(leaf):
            off_line += weight
        assert frames[-1]["file"].endswith("split.py")
    samples = total / interval
    # A sample per millisecond of its CPU time, however much the machine gave
    # it: on a loaded machine the timer's ticks fall on its time slices
    # unevenly (12% over was seen), so the upper bound only catches samples
    # counted twice.
    assert 0.5 * cpu * 1000 <= samples <= 1.25 * cpu * 1000 + 50, "%d samples, %.2f s of CPU" % (samples, cpu)
    in_leaves = sum(leaf_weight.values())
    assert in_leaves >= 0.9 * total, "only %.1f%% of samples in leaves" % (100 * in_leaves / total)
    # A leaf runs its HOT and LOOP lines only; the split between them is the machine's.
    assert off_line == 0, "%d leaf samples on lines not the leaf's" % (off_line / interval)
    assert on_hot > on_loop, "more leaf samples on the clock read than on the hot loop: %d vs %d" % (on_loop, on_hot)
    for leaf, truth in (("leaf_a", 60), ("leaf_b", 30), ("leaf_c", 10)):
        share = 100 * leaf_weight[leaf] / in_leaves
        assert abs(share - truth) <= 3, "%s: %.1f%% vs %d%%" % (leaf, share, truth)
    return "%d samples, shares a/b/c %.1f/%.1f/%.1f" % (
        samples, *(100 * leaf_weight[l] / in_leaves for l in ("leaf_a", "leaf_b", "leaf_c")))


@per_interpreter
def threads_apart(interp):
    with Workload(interp, "threads.py") as w:
        doc, _ = record(w.pid, seconds=2, name="threads", interp=interp)
    workers = ("worker_alpha", "worker_beta", "worker_gamma")
    owner = {}
    tids = set()
    for profile in doc["profiles"]:
        m = re.search(r"\[pid (\d+), Python [^]]+\] thread (\d+) \(", profile["name"])
        assert m and int(m.group(1)) == w.pid, "profile name %r lacks pid/tid" % profile["name"]
        tids.add(int(m.group(2)))
        seen = {f["name"] for frames, _ in stacks(doc, profile) for f in frames} & set(workers)
        assert len(seen) <= 1, "one thread's profile mixes %s" % seen
        for name in seen:
            assert name not in owner, "%s appears in two threads" % name
            owner[name] = int(m.group(2))
    assert set(owner) == set(workers), "workers found: %s" % owner
    assert len(set(owner.values())) == 3 and w.pid not in owner.values()
    return "%d thread profiles" % len(doc["profiles"])


@per_interpreter
def code_object_churn(interp):
    host_dir, seen_dir = interp.script_dir()
    with Workload(interp, "churn.py", os.path.join(seen_dir, "churn-stats.txt")) as w:
        doc, _ = record(w.pid, seconds=3, name="churn", interp=interp)
        w.proc.send_signal(signal.SIGTERM)
        w.proc.wait(timeout=10)
    made, distinct = map(int, open(os.path.join(host_dir, "churn-stats.txt")).read().split())
    assert made >= 2000, "only %d functions made" % made
    assert distinct <= made // 2, "code addresses were not reused (%d of %d)" % (distinct, made)
    checked = unresolved = 0
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        names = [f["name"] for f in frames]
        if names[-1] not in ("spin_even", "spin_odd") or marked(frames) and len(frames) < 3:
            continue
        parent = frames[-2]
        if parent["name"] == "[unknown]":
            unresolved += 1
            continue
        m = re.fullmatch(r"f_(\d{6})", parent["name"])
        assert m, "unexpected caller %s of %s" % (parent["name"], names[-1])
        n = int(m.group(1))
        assert parent["file"] == "<churn-%d>" % n, "%s attributed to file %s" % (parent["name"], parent["file"])
        assert names[-1] == ("spin_even" if n % 2 == 0 else "spin_odd"), \
            "%s misattributed: calls %s" % (parent["name"], names[-1])
        assert parent["line"] == (2 if n % 2 == 0 else 3), "%s at line %s" % (parent["name"], parent["line"])
        checked += 1
    assert checked >= 500, "only %d churned frames resolved (%d unresolved)" % (checked, unresolved)
    return "%d functions, %d addresses, %d frames checked, %d unresolved" % (made, distinct, checked, unresolved)


@per_interpreter
def unicode_names(interp):
    with Workload(interp, UNICODE_FILE) as w:
        doc, _, cpu, _ = record_counting_cpu(w.pid, seconds=2, name="unicode", interp=interp)
    chains = collections.Counter()
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        chains[tuple((f["name"], os.path.basename(f["file"]), f.get("line")) for f in frames)] += weight
    # One busy thread: most of its CPU time must be there, not lost to failed reads.
    assert sum(chains.values()) >= 0.5 * cpu * 1e9, "only %.2f s of samples of %.2f s of CPU: %s" % (
        sum(chains.values()) / 1e9, cpu, chains.most_common(3))
    top = tuple(f[:2] for f in chains.most_common(1)[0][0])
    expected = tuple((name, UNICODE_FILE) for name in ("<module>", "main", "𠀀𠀁", "函数", "fünf"))
    assert top == expected, "top stacks %s" % (chains.most_common(3),)


@per_interpreter
def generator_and_coroutine(interp):
    with Workload(interp, "generators.py") as w:
        doc, _ = record(w.pid, seconds=2, name="generators", interp=interp)
    weight = collections.Counter()
    for frames, w_ in stacks(doc, main_profile(doc, w.pid)):
        weight[tuple((f["name"], f.get("line")) for f in frames[-2:])] += w_
    gen = (("drive", line_of("generators.py", "GEN-RESUME")), ("numbers", line_of("generators.py", "GEN-HOT")))
    coro = (("drive", line_of("generators.py", "CORO-RESUME")), ("crunch", line_of("generators.py", "CORO-HOT")))
    total = sum(weight.values())
    for chain in (gen, coro):
        share = 100 * weight[chain] / total
        assert 35 <= share <= 65, "%s has %.1f%% of samples: %s" % (chain, share, weight.most_common(4))


# ---- 3.13+: layouts from the runtime's own _Py_DebugOffsets ----------------

def sid(version):
    return Interpreter("debian sid, static, chroot", "/usr/bin/python" + version,
                       tree=os.path.join(BUILD, "pythons", "sid"))


def leaf_names(doc, pid):
    weight = collections.Counter()
    for frames, w in stacks(doc, main_profile(doc, pid)):
        weight[frames[-1]["name"]] += w
    return weight


@test
def debug_offsets_are_used_from_313():
    # The built-in 3.13+ entries hold no struct offsets (a unit test checks
    # that), so these profiles are right only because the runtime's were used.
    for version in ("3.13", "3.14", "3.15"):
        interp = sid(version)
        interp.available()
        with Workload(interp, "split.py") as w:
            doc, err = record(w.pid, seconds=1, name="dbgoff", extra=["-v"])
        assert "layout from _Py_DebugOffsets (%s parser)" % version in err, err
        leaves = leaf_names(doc, w.pid)
        assert leaves.most_common(1)[0][0] == "leaf_a", leaves


@test
def untrusted_parser_is_validated_on_the_live_process():
    # What a minor newer than pybpf knows goes through: the newest parser,
    # trusted only after a walk of the live process checks out.
    interp = sid("3.15")
    interp.available()
    with Workload(interp, "split.py") as w:
        doc, err = record(w.pid, seconds=1, name="validated", extra=["-v"],
                          env={"PYBPF_DEBUG_OFFSETS_PARSER": "3.15"})
    assert "(3.15 parser), validated on the live process" in err, err
    assert leaf_names(doc, w.pid).most_common(1)[0][0] == "leaf_a"


@test
def wrong_parser_is_refused():
    for target, parser in (("3.14", "3.15"), ("3.15", "3.14"), ("3.14", "3.13")):
        interp = sid(target)
        interp.available()
        with Workload(interp, "split.py") as w:
            result = run_pybpf(["record", "-p", str(w.pid), "-o", os.path.join(TMP, "x.json")],
                               env=dict(os.environ, PYBPF_DEBUG_OFFSETS_PARSER=parser))
        expect_error(result, r"runs Python %s\.\d+, which the %s _Py_DebugOffsets parser "
                             r"\(PYBPF_DEBUG_OFFSETS_PARSER\) does not fit|cannot read" % (
                                 re.escape(target), re.escape(parser)))
        assert not os.path.exists(os.path.join(TMP, "x.json"))


@test
def deep_stack_behind_perf_trampolines():
    # With -X perf every Python frame has an interpreter entry frame of its
    # own: 400 frames mean 800 to walk, none of them dropped silently.
    interp = sid("3.13")
    interp.available()
    interp.python = "/usr/bin/python3.13"
    argv = interp.argv("deep.py", [400])
    argv.insert(argv.index("/usr/bin/python3.13") + 1, "-X")
    argv.insert(argv.index("-X") + 1, "perf")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        doc, _ = record(proc.pid, seconds=1, name="deep")
    finally:
        proc.kill()
        proc.wait()
    depths = collections.Counter(len(frames) for frames, _ in stacks(doc, main_profile(doc, proc.pid)))
    assert set(depths) == {401}, depths
    return "%d frames" % 401


# ---- sampling modes and depth (issue 6) -------------------------------------

def thread_profile(doc, tid):
    matches = [p for p in doc["profiles"] if "thread %d " % tid in p["name"]]
    assert len(matches) == 1, "expected one profile for thread %d, got %s" % (
        tid, [p["name"] for p in doc["profiles"]])
    return matches[0]


def record_stats(pid, seconds, name, extra):
    stats = os.path.join(TMP, "%s.stats.json" % name)
    doc, err = record(pid, seconds=seconds, name=name, extra=list(extra) + ["--stats", stats])
    with open(stats) as f:
        return doc, err, json.load(f)


@test
def wall_mode_accounts_for_every_thread():
    for interp in (Interpreter("debian bookworm, static", "/usr/bin/python3.11"), sid("3.14")):
        interp.available()
        with Workload(interp, "waits.py") as w:
            tids = dict(zip(("cpu_worker", "sleeper", "reader"),
                            map(int, w.proc.stdout.readline().split())))
            time.sleep(0.3)
            doc, err, st = record_stats(w.pid, 3, "wall", ["--mode", "wall"])
            cpu_doc, _, cpu_st = record_stats(w.pid, 2, "wall-cpu", [])
        duration_ns = st["duration_s"] * 1e9
        for name, tid in tids.items():
            if interp.python.endswith("3.14"):
                # 3.14's threading names OS threads after Python threads.
                assert "(%s)" % name in thread_profile(doc, tid)["name"], thread_profile(doc, tid)["name"]
            total = sum(thread_profile(doc, tid)["weights"])
            # Waits are timed to the microsecond; time on a CPU is sampled,
            # and a loaded VM delivers its timer late: 10 % for the busy one.
            slack = 0.10 if name == "cpu_worker" else 0.05
            assert abs(total - duration_ns) <= slack * duration_ns, "%s (%s): %.3f s of %.3f s" % (
                name, interp.label(), total / 1e9, duration_ns / 1e9)
        # The sleeper also waits for the GIL each time it wakes (the busy
        # thread holds it for up to 5 ms): wall mode shows that too.
        for name, marker, state, share in (("sleeper", "SLEEP", "[sleeping]", 0.6),
                                           ("reader", "READ", "[I/O: read]", 0.95)):
            weight = collections.Counter()
            for frames, w_ in stacks(doc, thread_profile(doc, tids[name])):
                weight[(frames[-2]["name"], frames[-2].get("line"), frames[-1]["name"])] += w_
            (func, line, leaf), top = weight.most_common(1)[0]
            assert leaf == state and line == line_of("waits.py", marker), (name, weight.most_common(3))
            assert top >= share * duration_ns, "%s waits only %.0f%% in %s" % (name, 100 * top / duration_ns, state)
        busy = sum(thread_profile(cpu_doc, tids["cpu_worker"])["weights"])
        for name in ("sleeper", "reader"):
            idle = sum(sum(p["weights"]) for p in cpu_doc["profiles"] if "thread %d " % tids[name] in p["name"])
            assert idle <= 0.02 * busy, "cpu mode: %s has %.1f%% of the busy thread's samples" % (name, 100 * idle / busy)
    return "3 threads within 5%% of %.2f s" % st["duration_s"]


@test
def gil_keeps_only_the_holder():
    interp = Interpreter("debian bookworm, static", "/usr/bin/python3.11")
    with Workload(interp, "gil.py") as w:
        time.sleep(0.3)
        cpu_doc, _ = record(w.pid, seconds=2, name="gil-cpu")
        gil_doc, err = record(w.pid, seconds=2, name="gil-only", extra=["--gil"])

    def hashing(doc):
        total = hashed = 0
        for profile in doc["profiles"]:
            for frames, weight in stacks(doc, profile):
                total += weight
                hashed += weight * (frames[-1]["name"] == "hash_loop" and
                                    frames[-1].get("line") == line_of("gil.py", "HASH"))
        return total, hashed

    total, hashed = hashing(cpu_doc)
    assert hashed >= 0.1 * total, "cpu mode: hashing only %.1f%% (the test needs it on a CPU)" % (100 * hashed / total)
    kept, hashed_kept = hashing(gil_doc)
    assert hashed_kept <= 0.03 * kept, "--gil kept %.1f%% of samples in C code run without the GIL" % (
        100 * hashed_kept / kept)
    m = re.search(r"--gil: (\d+) samples", err)
    assert m and int(m.group(1)) > 0, err
    # One thread holds the GIL at a time: never more than one CPU's worth.
    assert kept <= 1.15 * 2 * 1e9, "%.2f s of GIL-holding samples in 2 s" % (kept / 1e9)
    return "cpu mode %.0f%% hashing, --gil %.1f%%" % (100 * hashed / total, 100 * hashed_kept / kept)


@test
def deep_stacks_kept_whole_or_marked():
    interp = Interpreter("debian bookworm, static", "/usr/bin/python3.11")
    for depth in (1000, 1500):
        with Workload(interp, "deep.py", depth) as w:
            doc, _ = record(w.pid, seconds=1, name="deep%d" % depth)
        for frames, _ in stacks(doc, main_profile(doc, w.pid)):
            names = [f["name"] for f in frames]
            assert names[0] == "<module>" and frames[-1].get("line") == line_of("deep.py", "BOTTOM"), names[:3]
            if depth + 1 <= 1024:
                assert names == ["<module>"] + ["descend"] * depth, "depth %d: %d frames" % (depth, len(names))
            else:
                gap = depth + 1 - 1024
                assert names == ["<module>"] + ["descend"] * 255 + ["[%d frames truncated]" % gap] + \
                    ["descend"] * 768, "depth %d: %s" % (depth, [n for n in names if n != "descend"])
    return "1001 frames whole; 1501 as 256 + [477 frames truncated] + 768"


@test
def native_frames_between_python_frames():
    # Debian's python3.11 and libz have no frame pointers: the stack copy is
    # unwound with their .eh_frame.
    interp = Interpreter("debian bookworm, static", "/usr/bin/python3.11")
    with Workload(interp, "native.py") as w:
        doc, err = record(w.pid, seconds=2, name="native", extra=["--native"])
    compress = line_of("native.py", "COMPRESS")
    in_zlib = total = 0
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        names = [f["name"] for f in frames]
        total += weight
        assert "_PyEval_EvalFrameDefault" not in names, names
        python = [(f["name"], f.get("line")) for f in frames if f.get("file", "").endswith(".py")]
        if python[-1] != ("compress_block", compress):
            continue
        assert python == [("<module>", line_of("native.py", "MAIN")), ("main", line_of("native.py", "CALL")),
                          ("compress_block", compress)] or python[0][0] != "<module>", python
        below = frames[[f["name"] for f in frames].index("compress_block") + 1:]
        if any("libz.so" in f.get("file", "") for f in below):
            in_zlib += weight
            # Native frames only under the innermost Python frame, and the
            # interpreter's own frames between <module>, main and compress_block.
            assert all(not f.get("file", "").endswith(".py") for f in below), names
    assert in_zlib >= 0.5 * total, "only %.0f%% of samples reach libz under compress_block" % (100 * in_zlib / total)
    return "%.0f%% of samples in libz under compress_block" % (100 * in_zlib / total)


@test
def kernel_frames_below_python_frames():
    interp = Interpreter("debian bookworm, static", "/usr/bin/python3.11")
    with Workload(interp, "read_zero.py") as w:
        doc, err = record(w.pid, seconds=2, name="kernel", extra=["--kernel"])
    in_read = total = 0
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        total += weight
        kernel = [i for i, f in enumerate(frames) if f.get("file") == "[kernel]"]
        # The kernel's frames are the innermost ones, under the Python stack.
        assert not kernel or kernel == list(range(kernel[0], len(frames))), [f["name"] for f in frames]
        python = [f["name"] for f in frames[:kernel[0] if kernel else len(frames)]]
        if python[-2:] == ["<module>", "reader"] and "vfs_read" in [frames[i]["name"] for i in kernel]:
            in_read += weight
    # Zeroing a megabyte is the kernel's work: most samples are in read(2).
    assert in_read >= 0.5 * total, "only %.0f%% of samples in vfs_read under reader" % (100 * in_read / total)
    return "%.0f%% of samples in vfs_read under reader" % (100 * in_read / total)


# ---- system-wide (-a) and launch (-- CMD) modes -----------------------------

def processes_in(doc):
    """{host pid: (profile names, Counter of function names weighted)}"""
    found = collections.defaultdict(lambda: ([], collections.Counter()))
    for profile in doc["profiles"]:
        m = re.search(r"\[pid (\d+)", profile["name"])
        assert m, "profile name %r has no pid" % profile["name"]
        names, weight = found[int(m.group(1))]
        names.append(profile["name"])
        for frames, w in stacks(doc, profile):
            for name in {f["name"] for f in frames}:
                weight[name] += w
    return found


def hot(found, pid, function):
    names, weight = found.get(pid, ([], collections.Counter()))
    assert names, "PID %d not in the profile (found %s)" % (pid, sorted(found))
    total = sum(w for n, w in weight.items() if n.startswith("hot_"))
    assert weight[function] >= 0.9 * total > 0, "PID %d: %s" % (pid, weight.most_common(4))
    return names


def record_all(seconds, extra=(), during=None):
    out = os.path.join(TMP, "all-%d.json" % len(os.listdir(TMP)))
    proc = subprocess.Popen([PYBPF, "record", "-a", "-d", str(seconds), "-r", "1000", "-o", out] + list(extra),
                            stderr=subprocess.PIPE, text=True)
    if during:
        # DURING starts what must be found later: once pybpf has attached
        # and dropped its privileges, however long its start-up took.
        wait_attached(proc)
        during()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    validate(out)
    return json.load(open(out, encoding="utf-8")), err


def pyenv_or_bullseye():
    pyenv = Interpreter("pyenv, shared libpython", "/root/.pyenv/versions/3.12.1/bin/python3.12")
    if os.path.exists(pyenv.python):
        return pyenv
    return Interpreter("debian bullseye, static, chroot", "/usr/bin/python3.9",
                       tree=os.path.join(BUILD, "pythons", "bullseye"))


def ns_child(pid):
    """The process `unshare --fork` started: the one inside the namespace."""
    for _ in range(100):
        children = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise AssertionError("unshare %d has no child" % pid)


@test
def system_wide_finds_every_python():
    static, shared, container = Interpreter("", "/usr/bin/python3.11"), pyenv_or_bullseye(), sid("3.14")
    pidns = sid("3.13")
    for interp in (shared, container, pidns):
        interp.available()
    late = {}

    def start_late():
        time.sleep(0.5)
        late["w"] = Workload(static, "named.py", "hot_delta", 1.5).__enter__()

    pidns_argv = ["unshare", "--pid", "--fork", "--kill-child"] + pidns.argv("named.py", ["hot_epsilon"])
    with Workload(static, "named.py", "hot_alpha") as a, Workload(shared, "named.py", "hot_beta") as b, \
            Workload(container, "named.py", "hot_gamma") as c:
        ns = subprocess.Popen(pidns_argv, stdout=subprocess.PIPE, text=True)
        try:
            assert ns.stdout.readline().strip() == "ready"
            inner = ns_child(ns.pid)
            doc, err = record_all(4, during=start_late)
        finally:
            ns.kill()
            ns.wait()
            if "w" in late:
                late["w"].__exit__(None)
    found = processes_in(doc)
    hot(found, a.pid, "hot_alpha")
    hot(found, b.pid, "hot_beta")
    names = hot(found, c.pid, "hot_gamma")
    assert "Python 3.14." in names[0], names
    late_names = hot(found, late["w"].pid, "hot_delta")      # started after attaching, lived 1.5 s
    assert "(exited)" in err and str(late["w"].pid) in err, err
    ns_names = hot(found, inner, "hot_epsilon")
    assert re.search(r"\[pid %d \(1 in its namespace\), Python 3\.13" % inner, ns_names[0]), ns_names
    return "%d processes" % len(found)


@test
def system_wide_filters():
    static, container = Interpreter("", "/usr/bin/python3.11"), sid("3.14")
    container.available()
    cgroup = "pybpf-test-%d" % os.getpid()
    cgdir = "/sys/fs/cgroup/pids/" + cgroup if os.path.isdir("/sys/fs/cgroup/pids") else "/sys/fs/cgroup/" + cgroup
    os.makedirs(cgdir, exist_ok=True)
    try:
        with Workload(static, "named.py", "hot_alpha") as a, Workload(container, "named.py", "hot_gamma") as c, \
                Workload(static, "named.py", "hot_beta") as b:
            with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
                f.write(str(b.pid))
            by_comm = processes_in(record_all(1, ["--comm", "python3.14"])[0])
            by_pid = processes_in(record_all(1, ["-p", str(a.pid), "-p", str(c.pid)])[0])
            by_cgroup = processes_in(record_all(1, ["--cgroup", cgroup])[0])
    finally:
        os.rmdir(cgdir)
    assert set(by_comm) == {c.pid}, sorted(by_comm)
    assert set(by_pid) == {a.pid, c.pid}, sorted(by_pid)
    assert set(by_cgroup) == {b.pid}, sorted(by_cgroup)


@test
def system_wide_process_cap():
    static = Interpreter("", "/usr/bin/python3.11")
    with Workload(static, "named.py", "hot_alpha") as a, Workload(static, "named.py", "hot_beta") as b:
        doc, err = record_all(1, ["--max-processes", "1", "-p", str(a.pid), "-p", str(b.pid)])
    assert "warning: already profiling 1 processes" in err and "raise --max-processes" in err, err
    assert len(processes_in(doc)) == 1


def launch(extra, script_args, interp="/usr/bin/python3.11", env=None):
    out = os.path.join(TMP, "launch-%d.json" % len(os.listdir(TMP)))
    result = subprocess.run([PYBPF, "record", "-r", "1000", "-o", out] + extra +
                            ["--", interp, os.path.join(WORKLOADS, "workers.py")] + script_args,
                            capture_output=True, text=True, timeout=60, env=env)
    validate(out)
    return result, json.load(open(out, encoding="utf-8")), out


def functions_by_process(doc):
    return {pid: {n for n in weight if n in ("worker_one", "worker_two", "parent_work")}
            for pid, (_, weight) in processes_in(doc).items()}


@test
def launch_with_subprocesses():
    for method in ("fork", "spawn"):
        result, doc, _ = launch(["--subprocesses"], ["1.5", method])
        assert result.returncode == 3, "exit %d, expected the command's 3: %s" % (result.returncode, result.stderr)
        funcs = sorted(f for fs in functions_by_process(doc).values() for f in fs)
        assert funcs == ["parent_work", "worker_one", "worker_two"], (method, functions_by_process(doc))
        for pid, fs in functions_by_process(doc).items():
            assert len(fs) <= 1, "process %d mixes %s" % (pid, fs)


@test
def launch_without_subprocesses():
    result, doc, _ = launch([], ["1.5", "fork"])
    assert result.returncode == 3, result.stderr
    by_process = functions_by_process(doc)
    assert list(by_process.values()) == [{"parent_work"}], by_process


@test
def launch_runs_as_the_sudo_user():
    out = os.path.join(TMP, "sudo.json")
    result = subprocess.run([PYBPF, "record", "-o", out, "--", "/usr/bin/python3.11", "-c",
                             "import os; print(os.getuid(), os.getgid())"],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, SUDO_UID="65534", SUDO_GID="65534"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["65534", "65534"], result.stdout
    st = os.stat(out)
    assert (st.st_uid, st.st_gid) == (65534, 65534), (st.st_uid, st.st_gid)


@test
def launch_missing_command():
    result = run_pybpf(["record", "-o", os.path.join(TMP, "x.json"), "--", "/nonexistent/python"])
    assert result.returncode == 127, (result.returncode, result.stderr)
    assert "cannot run /nonexistent/python" in result.stderr, result.stderr


# ---- pybpf top and pybpf dump -----------------------------------------------

class Tmux:
    """pybpf top in a real 80x24 terminal; the shell line after it shows how it ended."""

    def __init__(self, args):
        self.name = "pybpf-top-%d" % os.getpid()
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
        command = "%s top %s; echo EXITED rc=$?; sleep 60" % (PYBPF, " ".join(args))
        # A tmux server already running gives the pane its own environment,
        # not ours: pass on the sanitizers' options (make check-asan).
        env = sum((["-e", "%s=%s" % kv] for kv in os.environ.items() if kv[0].endswith("SAN_OPTIONS")), [])
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24"] + env +
                       ["sh", "-c", command], check=True)

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True, check=True).stdout

    def keys(self, *keys):
        subprocess.run(["tmux", "send-keys", "-t", self.name] + list(keys), check=True)

    def wait_for(self, predicate, seconds=30):
        """The screen once PREDICATE holds; SECONDS only bounds a failure."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError("screen never matched:\n" + self.screen())

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def top_rows(screen):
    """Function names of the table rows, top to bottom."""
    return re.findall(r"^\s+[\d.]+%\s+[\d.]+%\s+[\d.]+s\s+[\d.]+s\s+(?:\d+(?::\d+)?\s+)?(\S+) \(",
                      screen, re.M)


@test
def top_live_view():
    with Workload("/usr/bin/python3.11", "split.py") as w:
        tmux = Tmux(["-p", str(w.pid), "-r", "1000"])
        try:
            # The hot function comes to the top.
            screen = tmux.wait_for(lambda s: top_rows(s)[:1] == ["leaf_a"])
            assert "pybpf top: 1 processes" in screen, screen
            assert all(len(line) <= 80 for line in screen.splitlines())
            # Sorting by total time puts the callers of everything first.
            tmux.keys("4")
            screen = tmux.wait_for(lambda s: "(TotalTime)" in s and top_rows(s)[:1] != ["leaf_a"])
            assert set(top_rows(screen)[:3]) == {"<module>", "main", "recurse"}, top_rows(screen)
            # Grouping by thread shows pid:tid.
            tmux.keys("g", "g")
            tmux.wait_for(lambda s: "(thread)" in s and re.search(r"\s%d:%d\s" % (w.pid, w.pid), s))
            # q leaves and gives the terminal back (the table is gone).
            tmux.keys("q")
            screen = tmux.wait_for(lambda s: "EXITED rc=0" in s)
            assert "%Own" not in screen, screen
        finally:
            tmux.close()


@test
def top_restores_the_terminal_on_sigterm():
    with Workload("/usr/bin/python3.11", "split.py") as w:
        tmux = Tmux(["-p", str(w.pid)])
        try:
            tmux.wait_for(lambda s: "leaf_" in s)
            # Only pybpf itself, not the shell around it in the pane.
            subprocess.run(["pkill", "-TERM", "-x", "-f", "%s top -p %d" % (PYBPF, w.pid)], check=True)
            screen = tmux.wait_for(lambda s: "EXITED rc=0" in s)
            assert "%Own" not in screen, screen
        finally:
            tmux.close()


@test
def top_without_a_usable_terminal():
    # ncurses refuses the terminal and ends pybpf itself (under check-asan,
    # this is tests/lsan.supp's case).
    with Workload("/usr/bin/python3.11", "split.py") as w:
        result = run_pybpf(["top", "-p", str(w.pid)], env=dict(os.environ, TERM="pybpf-no-such-term"))
    assert result.returncode == 1 and "pybpf-no-such-term" in result.stderr, (result.returncode, result.stderr)


def threads_in_blocking_calls(pid):
    """PID's threads asleep in a system call other than futex (waiting for
    the GIL is not the blocking call a workload parks a thread in)."""
    n = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                call = f.read().split()
        except OSError:
            continue
        n += bool(call) and call[0] not in ("running", "-1", "202")
    return n


def dump(args):
    result = run_pybpf(["dump"] + args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@test
def dump_every_thread():
    interps = [Interpreter("", "/usr/bin/python3.11"), sid("3.14"), pyenv_or_bullseye()]
    checked = []
    for interp in interps:
        interp.available()
        with Workload(interp, "dump_threads.py") as w:
            # Three threads in their blocking calls, however long the machine takes.
            wait_for(lambda: threads_in_blocking_calls(w.pid) >= 3, 60, "the threads to block")
            text, doc = dump(["-p", str(w.pid)]), json.loads(dump(["-p", str(w.pid), "--json"]))
        (proc,) = doc["processes"]
        assert proc["pid"] == w.pid
        by_name = {}
        for thread in proc["threads"]:
            assert thread["frames"], thread
            by_name[thread["frames"][0]["function"]] = thread
        expected = {"sleeper": "SLEEP", "reader": "READ", "spinner": "SPIN", "<module>": "MAIN"}
        assert set(by_name) == set(expected), sorted(by_name)
        for function, marker in expected.items():
            frame = by_name[function]["frames"][0]
            assert frame["line"] == line_of("dump_threads.py", marker), frame
            assert frame["file"].endswith("dump_threads.py")
        # The only thread that wants the GIL keeps it and stays runnable.
        assert by_name["spinner"]["on_cpu"] and by_name["spinner"]["holds_gil"] is True, by_name["spinner"]
        assert not by_name["sleeper"]["on_cpu"] and not by_name["reader"]["on_cpu"]
        assert by_name["sleeper"]["holds_gil"] is False and by_name["reader"]["holds_gil"] is False
        # The text output says the same thing.
        for thread in proc["threads"]:
            header = 'Thread %d "%s" (%s' % (thread["tid"], thread["name"], thread["state"])
            assert header in text, (header, text)
            for f in thread["frames"]:
                assert "    %s (%s:%d)" % (f["function"], f["file"], f["line"]) in text, (f, text)
        checked.append(proc["python"])
    return "Python " + ", ".join(checked)


@test
def top_and_dump_system_wide():
    with Workload("/usr/bin/python3.11", "named.py", "hot_alpha") as a, \
            Workload(sid("3.14"), "named.py", "hot_gamma") as c:
        doc = json.loads(dump(["-a", "--json"]))
        pids = {p["pid"]: p for p in doc["processes"]}
        assert a.pid in pids and c.pid in pids, sorted(pids)
        assert pids[c.pid]["python"].startswith("3.14"), pids[c.pid]
        tmux = Tmux(["-a", "-r", "1000"])
        try:
            # By process, sorted by total time: each hot function with its pid.
            tmux.keys("g", "4")
            tmux.wait_for(lambda s: re.search(r"%d\s+hot_alpha" % a.pid, s) and
                          re.search(r"%d\s+hot_gamma" % c.pid, s))
            tmux.keys("q")
            tmux.wait_for(lambda s: "EXITED rc=0" in s)
        finally:
            tmux.close()


@test
def dump_threads_of_pid_one():
    """Before 3.11 the tid comes from glibc's struct pthread, where, in a
    process that is PID 1 of its namespace, many a field holds 1."""
    bullseye = Interpreter("debian bullseye, static, chroot", "/usr/bin/python3.9",
                           tree=os.path.join(BUILD, "pythons", "bullseye"))
    bullseye.available()
    argv = ["unshare", "--pid", "--fork", "--kill-child"] + bullseye.argv("dump_threads.py", [])
    ns = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert ns.stdout.readline().strip() == "ready"
        inner = ns_child(ns.pid)
        wait_for(lambda: threads_in_blocking_calls(inner) >= 3, 60, "the threads to block")
        (proc,) = json.loads(dump(["-p", str(inner), "--json"]))["processes"]
        tasks = {int(t) for t in os.listdir("/proc/%d/task" % inner)}
    finally:
        ns.kill()
        ns.wait()
    tids = [t["tid"] for t in proc["threads"]]
    assert sorted(tids) == sorted(tasks), "threads %s, tasks %s" % (tids, sorted(tasks))
    return "%d threads, each its own tid" % len(tids)


@test
def dump_errors():
    expect_error(run_pybpf(["dump", "-p", str(free_pid())]), r"no running process with PID \d+")
    result = run_pybpf(["dump"])
    assert result.returncode == 2 and "nothing to dump" in result.stderr, result.stderr


# ---- stopping, and bad input ------------------------------------------------

def wait_cpu(pid, seconds):
    """Until PID has used SECONDS more CPU time, however long the machine takes."""
    start = cpu_seconds(pid)
    wait_for(lambda: cpu_seconds(pid) - start >= seconds, 120, "PID %d to run %.1f s" % (pid, seconds))


@test
def target_that_execs_is_still_profiled():
    with Workload("/usr/bin/python3.11", "exec_self.py") as w:
        out = os.path.join(TMP, "exec.json")
        proc = subprocess.Popen([PYBPF, "record", "-p", str(w.pid), "-r", "1000", "-o", out],
                                stderr=subprocess.PIPE, text=True)
        wait_attached(proc)
        wait_cpu(w.pid, 0.3)
        os.kill(w.pid, signal.SIGUSR1)      # it execs itself
        wait_cpu(w.pid, 0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    assert "target exited" not in err, err
    validate(out)
    doc = json.load(open(out, encoding="utf-8"))
    named = collections.Counter()
    for profile in doc["profiles"]:
        for frames, weight in stacks(doc, profile):
            named.update(f["name"] for f in frames if f["name"] in ("before_exec", "after_exec"))
    # Both programs of the PID, each its own process in the profile and the summary.
    assert named["before_exec"] and named["after_exec"], named
    lines = [l for l in err.splitlines() if re.match(r"pybpf:\s+%d\s" % w.pid, l)]
    assert len(lines) == 2 and "(exec'd)" in lines[0] and "(exec" not in lines[1], lines
    return "%d samples before the exec, %d after" % (named["before_exec"], named["after_exec"])


@test
def target_exits_during_recording():
    with Workload("/usr/bin/python3.11", "short_lived.py", 1.5) as w:
        doc, err = record(w.pid, seconds=0, name="exits")
    assert "target exited" in err, err
    names = {f["name"] for frames, _ in stacks(doc, main_profile(doc, w.pid)) for f in frames}
    assert "busy_until" in names


def stop_with(sig):
    with Workload("/usr/bin/python3.11", "split.py") as w:
        out = os.path.join(TMP, "signal-%d.json" % sig)
        stats_path = os.path.join(TMP, "signal-%d.stats.json" % sig)
        proc = subprocess.Popen([PYBPF, "record", "-p", str(w.pid), "-r", "1000", "-o", out,
                                 "--stats", stats_path], stderr=subprocess.PIPE, text=True)
        # Attached once it has dropped its privileges, however long start-up took.
        wait_attached(proc)
        time.sleep(1.5)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    validate(out)
    doc = json.load(open(out, encoding="utf-8"))
    cpu = json.load(open(stats_path, encoding="utf-8"))["processes"][0]["cpu_s"]
    # The samples of the CPU time it had while profiled, however much the machine gave it.
    kept = sum(main_profile(doc, w.pid)["weights"]) / 1e9
    assert kept > 0.5 * cpu > 0, "%.2f s of samples kept of %.2f s of CPU" % (kept, cpu)


@test
def sigint_writes_profile():
    stop_with(signal.SIGINT)


@test
def sigterm_writes_profile():
    stop_with(signal.SIGTERM)


def free_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists("/proc/%d" % pid):
        pid -= 1
    return pid


@test
def error_no_such_pid():
    expect_error(run_pybpf(["record", "-p", str(free_pid()), "-o", os.path.join(TMP, "x.json")]),
                 r"no running process with PID \d+")


@test
def error_not_python():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        expect_error(run_pybpf(["record", "-p", str(sleeper.pid), "-o", os.path.join(TMP, "x.json")]),
                     r"PID \d+ \(sleep\) is not a Python process")
    finally:
        sleeper.kill()
        sleeper.wait()


@test
def error_unsupported_version():
    python = "/root/.pyenv/versions/3.7.16/bin/python3.7"
    if not os.path.exists(python):
        raise Skip("no Python older than 3.8 on this machine")
    with Workload(python, "short_lived.py", 30) as w:
        expect_error(run_pybpf(["record", "-p", str(w.pid), "-o", os.path.join(TMP, "x.json")]),
                     r"runs Python 3\.7\.16, which this pybpf does not support yet \(supported: 3\.8-3\.1\d\)")


@test
def error_not_root():
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             "--inh-caps=-all", PYBPF, "record", "-p", "1", "-o", "/tmp/x.json"],
                            capture_output=True, text=True, timeout=30)
    expect_error(result, r"missing capabilities CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE .*run pybpf as root")


@test
def error_no_btf():
    with Workload("/usr/bin/python3.11", "short_lived.py", 30) as w:
        expect_error(run_pybpf(["record", "-p", str(w.pid), "--btf", "/nonexistent/vmlinux",
                                "-o", os.path.join(TMP, "x.json")]),
                     r"cannot read the BTF file /nonexistent/vmlinux")


@test
def error_output_not_writable():
    with Workload("/usr/bin/python3.11", "short_lived.py", 30) as w:
        start = time.monotonic()
        result = run_pybpf(["record", "-p", str(w.pid), "-o", "/nonexistent-dir/out.json"])
        elapsed = time.monotonic() - start
    expect_error(result, r"cannot write the output file /nonexistent-dir/out.json: .*choose a writable path")
    # Reported before recording starts, not after an unbounded recording
    # (which would end only when the workload does, 30 s in).
    assert elapsed < 25, "error took %.1f s" % elapsed


@test
def error_bad_arguments():
    result = run_pybpf(["record", "-p", "abc"])
    assert result.returncode == 2 and "invalid PID 'abc'" in result.stderr, result.stderr
    # Past what nanoseconds in a u64 hold: refused, not a stop at once.
    result = run_pybpf(["record", "-p", "1", "-d", "1e300"])
    assert result.returncode == 2 and "invalid duration '1e300'" in result.stderr, result.stderr
    result = run_pybpf(["record"])
    assert result.returncode == 2 and "nothing to profile: use -p PID, -a, or -- COMMAND" in result.stderr, result.stderr


def run_one(name, fn, arg, counts):
    start = time.monotonic()
    try:
        note = fn(arg) if arg is not None else fn()
        counts["passed"] += 1
        print("PASS %-64s %5.1fs %s" % (name, time.monotonic() - start, note or ""), flush=True)
        return True
    except Skip as e:
        counts["skipped"] += 1
        print("SKIP %-64s %s" % (name, e), flush=True)
        return None
    except Exception:
        counts["failed"] += 1
        print("FAIL %s\n%s" % (name, traceback.format_exc()), flush=True)
        return False


def main(tests=TESTS, matrix=MATRIX, suite="integration"):
    """Run TESTS and the MATRIX for every interpreter; other suites (faults.py) pass their own."""
    global PYBPF, BUILD, TMP
    parser = argparse.ArgumentParser()
    parser.add_argument("--pybpf", required=True)
    parser.add_argument("--build", default="build")
    parser.add_argument("-k", "--filter", default="")
    args = parser.parse_args()
    PYBPF = os.path.abspath(args.pybpf)
    BUILD = os.path.abspath(args.build)
    if os.geteuid() != 0:
        sys.exit("integration tests load BPF programs: run them as root")
    counts = collections.Counter(passed=0, failed=0, skipped=0)
    summary = []
    with tempfile.TemporaryDirectory(prefix="pybpf-it-") as TMP:
        os.chmod(TMP, 0o755)
        for interp in interpreters():
            ran = []
            for fn in matrix:
                name = "%s [%s]" % (fn.__name__, interp.label())
                if args.filter not in name:
                    continue
                try:
                    interp.available()
                except (Skip, AssertionError) as e:
                    ran.append(run_one(name, lambda _, e=e: (_ for _ in ()).throw(e), interp, counts))
                    break
                ran.append(run_one(name, fn, interp, counts))
            if ran and None not in ran:
                summary.append("interpreter %-8s %-50s %6d samples  %s" % (
                    interp.version, interp.kind, interp.samples, "pass" if all(ran) else "FAIL"))
            elif ran:
                summary.append("interpreter %-8s %-50s %6s          skipped (not on this machine)" % (
                    os.path.basename(interp.python), interp.kind, "-"))
        for name, fn, _ in tests:
            if args.filter in name:
                run_one(name, fn, None, counts)
    print("\n".join(summary))
    print(suite + ": %(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
    sys.exit(1 if counts["failed"] else 0)


if __name__ == "__main__":
    main()
