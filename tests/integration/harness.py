"""What every integration suite shares (run.py, truth.py, faults.py,
formats.py): the interpreters, workloads, recording and reading back
profiles, the test registry and the runner.  The suites run as root:
python3 tests/integration/run.py --pybpf build/pybpf

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
import threading
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
# A container as Docker makes one: the tree as the lower layer of an
# overlayfs (upper and work directories on the same filesystem, as under
# /var/lib/docker), pivot_root into it in a mount namespace of its own.
# Files the process maps then show the lower layer's device in
# /proc/PID/maps and the overlay's when opened.  /pybpf-workloads is bound
# from the tree, so that what a workload writes there reaches the host.
PIVOT_ROOT = """set -e
tree=$1; shift
mkdir -p "$tree.overlays"
layer=$(mktemp -d "$tree.overlays/XXXXXX")
mkdir "$layer/upper" "$layer/work" "$layer/root"
mount -t overlay overlay -o "lowerdir=$tree,upperdir=$layer/upper,workdir=$layer/work" "$layer/root"
mount --bind "$tree/pybpf-workloads" "$layer/root/pybpf-workloads"
cd "$layer/root"
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

    def __init__(self, kind, python, tree=None, pivot=False, required=True, absent=None, gil=True):
        self.kind, self.python, self.tree, self.pivot = kind, python, tree, pivot
        self.required, self.absent = required, absent
        self.gil = gil          # False: a free-threaded build
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
        raise Skip(self.absent or "%s not present on this machine" % host)

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
    found.append(Interpreter("debian sid, static, overlayfs container", "/usr/bin/python3.14",
                             tree=os.path.join(pythons, "sid"), pivot=True))
    for v in ["3.13", "3.14", "3.15"]:
        found.append(Interpreter("debian sid, debug (Py_DEBUG), chroot", "/usr/bin/python%sd" % v,
                                 tree=os.path.join(pythons, "sid-debug")))
    for v in ["3.13", "3.14", "3.15"]:
        found.append(Interpreter("debian sid, python%s-nopie, chroot" % v, "/usr/bin/python" + v,
                                 tree=os.path.join(pythons, "sid-nopie")))
    return found + freethreaded(pythons)


def freethreaded(pythons):
    """The free-threaded builds of tools/provision-freethreaded.sh: each minor
    its listing names as built is required, one whose source the mirror
    lacks is skipped with the reason it wrote.  Without the listing `make
    pythons` has not run, and all are required."""
    outcome = {}
    try:
        with open(os.path.join(pythons, "freethreaded.txt"), encoding="utf-8") as f:
            for line in f:
                minor, version, how = line.rstrip("\n").split(" ", 2)
                outcome[minor] = None if version == "none" else version, how
    except FileNotFoundError:
        outcome = None
    found = []
    for v in ["3.13", "3.14", "3.15"]:
        version, how = (outcome or {}).get(v + "t", (None, "not in the listing"))
        found.append(Interpreter("free-threaded (--disable-gil), from Debian's source, static PIE",
                                 os.path.join(pythons, "freethreaded-" + v, "usr/local/bin/python%st" % v),
                                 required=outcome is None or version is not None,
                                 absent="%st not built: %s" % (v, how), gil=False))
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


def call_columns(script, marker, callees):
    """(line, {callee: start column counted from 1}) of the calls on SCRIPT's MARKER line,
    from its text: what pybpf must give on 3.11+ for a frame at each call."""
    line = line_of(script, marker)
    with open(os.path.join(WORKLOADS, script), encoding="utf-8") as f:
        text = f.read().splitlines()[line - 1]
    assert text.isascii(), "CPython counts columns in UTF-8 bytes: keep the line ASCII"
    return line, {callee: text.index(callee + "(") + 1 for callee in callees}


def heatmap_data(path):
    """The data a heat map page (-o FILE.html) embeds, as its script reads it."""
    with open(path, encoding="utf-8") as f:
        page = f.read()
    m = re.search(r'<script type="application/json" id="heat-data">(.*?)</script>', page, re.S)
    assert m, "%s holds no heat map data" % path
    return json.loads(m.group(1))


def def_line(script, function):
    """The line of FUNCTION's def in SCRIPT: its code object's first line."""
    with open(os.path.join(WORKLOADS, script), encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            if re.match(r"\s*def %s\(" % re.escape(function), text):
                return number
    raise AssertionError("no def %s in %s" % (function, script))


class Workload:
    """A Python process running one of tests/workloads, ready once it says so."""

    def __init__(self, interp, script, *args, env=None):
        if isinstance(interp, str):
            interp = Interpreter("", interp)
        self.argv = interp.argv(script, args)

    def __enter__(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            self.__exit__()     # not left running beside the tests that follow
            raise AssertionError("workload %s did not start: %r" % (self.argv, line))
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


def run_pybpf_attached(args, started=None, until=None, env=None):
    """Run pybpf ARGS; once it has attached (however long its start-up
    takes), call STARTED(), then UNTIL() and stop it as Ctrl-C does, or
    without UNTIL let it end by itself.  A subprocess.CompletedProcess."""
    proc = subprocess.Popen([PYBPF] + args, stderr=subprocess.PIPE, text=True, env=env)
    stop = until is not None
    try:
        wait_attached(proc)
        if started:
            started()
        if until:
            until()
    except BaseException:
        stop = True
        raise
    finally:
        if stop and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess([PYBPF] + args, proc.returncode, "", err)


def record(pid, seconds=3, rate=1000, name="out", extra=(), interp=None, env=None, by_line=True,
           cpu=None, started=None, each_thread=False):
    """Record PID into speedscope's JSON; by line unless BY_LINE is false (most
    tests check the line each frame was at).  For SECONDS (0: until PID
    ends); or with CPU, until PID (or with EACH_THREAD, each of its threads
    but the main one) has used that many more seconds of CPU time, so that
    the recording holds as much on a loaded machine.  STARTED() is called
    once pybpf has attached."""
    out = os.path.join(TMP, "%s-%d.json" % (name, pid))
    args = ["record", "-p", str(pid), "-r", str(rate), "-o", out] + (["--by-line"] if by_line else []) + list(extra)
    if seconds and not cpu:
        args += ["-d", str(seconds)]
    env = dict(os.environ, **(env or {}))
    if cpu or started:
        result = run_pybpf_attached(args, started, (lambda: wait_cpu(pid, cpu, each_thread)) if cpu else None, env)
    else:
        result = run_pybpf(args, env=env)
    assert result.returncode == 0, "pybpf failed (%d): %s" % (result.returncode, result.stderr)
    validate(out)
    with open(out, encoding="utf-8") as f:
        doc = json.load(f)
    if interp:
        m = re.search(r"^pybpf:\s+\d+\s+\d+\s+(\d\S*)\s", result.stderr, re.M)
        interp.version = m.group(1) if m else "?"
        interp.samples += sum(sum(p["weights"]) for p in doc["profiles"]) // int(1e9 / rate)
    return doc, result.stderr


def record_while(pid, during, rate=1000, name="out", extra=()):
    """Record PID into speedscope's JSON (by line) from the moment pybpf is
    attached, however long its start-up takes, until DURING() returns: a
    recording that holds what the workload does then, on any machine.
    (the document, pybpf's stderr)"""
    out = os.path.join(TMP, "%s-%d.json" % (name, pid))
    result = run_pybpf_attached(["record", "-q", "-p", str(pid), "-r", str(rate), "--by-line", "-o", out] +
                                list(extra), until=during)
    assert result.returncode == 0, "pybpf failed (%d): %s" % (result.returncode, result.stderr)
    validate(out)
    with open(out, encoding="utf-8") as f:
        return json.load(f), result.stderr


def next_line(proc, seconds):
    """The line PROC (a Workload's process) prints next, waiting up to
    SECONDS (then it is killed, and the line is empty)."""
    watchdog = threading.Timer(seconds, proc.kill)
    watchdog.start()
    try:
        return proc.stdout.readline()
    finally:
        watchdog.cancel()


def read_line(proc, expected, seconds):
    """Wait up to SECONDS for PROC (a Workload's process) to print EXPECTED."""
    line = next_line(proc, seconds)
    assert line.strip() == expected, "the workload printed %r, not %r" % (line, expected)


def cpu_seconds(pid, tid=None):
    """CPU time PID's threads (or its thread TID) have used so far (user +
    system), in seconds."""
    with open("/proc/%d/task/%d/stat" % (pid, tid) if tid else "/proc/%d/stat" % pid) as f:
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


# ---- interpreters and processes more than one suite names ------------------

def sid(version):
    return Interpreter("debian sid, static, chroot", "/usr/bin/python" + version,
                       tree=os.path.join(BUILD, "pythons", "sid"))


def freethreaded_build(minor):
    """The free-threaded build of MINOR (e.g. "3.13") that `make pythons` made."""
    return next(i for i in freethreaded(os.path.join(BUILD, "pythons")) if i.python.endswith(minor + "t"))


def bullseye():
    """Debian bullseye's 3.9, from `make pythons`: frames on the heap."""
    return Interpreter("debian bullseye, static, chroot", "/usr/bin/python3.9",
                       tree=os.path.join(BUILD, "pythons", "bullseye"))


def pyenv_or_bullseye():
    pyenv = Interpreter("pyenv, shared libpython", "/root/.pyenv/versions/3.12.1/bin/python3.12")
    if os.path.exists(pyenv.python):
        return pyenv
    return bullseye()


def ns_child(pid):
    """The process `unshare --fork` started: the one inside the namespace."""
    for _ in range(100):
        children = open("/proc/%d/task/%d/children" % (pid, pid)).read().split()
        if children:
            return int(children[0])
        time.sleep(0.01)
    raise AssertionError("unshare %d has no child" % pid)


def free_pid():
    with open("/proc/sys/kernel/pid_max") as f:
        pid = int(f.read()) - 1
    while os.path.exists("/proc/%d" % pid):
        pid -= 1
    return pid


def leaf_lines(leaf):
    """Every line of split.py's LEAF, from its def (3.11+'s RESUME) to its return."""
    loop = line_of("split.py", "LOOP-" + leaf[-1].upper())
    return range(loop - 2, loop + 3)


def wait_cpu(pid, seconds, each_thread=False):
    """Until PID (or EACH_THREAD of it but the main one) has used SECONDS
    more CPU time, however long the machine takes."""
    tids = [int(t) for t in os.listdir("/proc/%d/task" % pid) if int(t) != pid] if each_thread else [None]
    start = [cpu_seconds(pid, tid) for tid in tids]
    wait_for(lambda: all(cpu_seconds(pid, tid) - s >= seconds for tid, s in zip(tids, start)), 120,
             "PID %d to run %.1f s%s" % (pid, seconds, " in each thread" if each_thread else ""))


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
    """record -a for SECONDS, or (None) until DURING() returns."""
    out = os.path.join(TMP, "all-%d.json" % len(os.listdir(TMP)))
    duration = ["-d", str(seconds)] if seconds else []
    proc = subprocess.Popen([PYBPF, "record", "-a", "-r", "1000", "-o", out] + duration + list(extra),
                            stderr=subprocess.PIPE, text=True)
    if during:
        # DURING starts what must be found later: once pybpf has attached
        # and dropped its privileges, however long its start-up took.
        wait_attached(proc)
        during()
    if not seconds:
        proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    validate(out)
    return json.load(open(out, encoding="utf-8")), err


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
    parser.add_argument("-k", "--filter", action="append", default=[],
                        help="run only the tests whose name holds this (repeatable: any of them)")
    parser.add_argument("--interpreters", metavar="REGEX", type=re.compile,
                        help="the per-interpreter tests only on the interpreters whose label"
                             " (\"python3.12 pyenv, shared libpython\") this finds")
    args = parser.parse_args()
    wanted = lambda name: not args.filter or any(f in name for f in args.filter)
    PYBPF = os.path.abspath(args.pybpf)
    BUILD = os.path.abspath(args.build)
    if os.geteuid() != 0:
        sys.exit("integration tests load BPF programs: run them as root")
    counts = collections.Counter(passed=0, failed=0, skipped=0)
    summary = []
    # The upper layers of earlier runs' overlayfs containers.
    shutil.rmtree(os.path.join(BUILD, "pythons", "sid.overlays"), ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="pybpf-it-") as TMP:
        os.chmod(TMP, 0o755)
        for interp in interpreters():
            if args.interpreters and not args.interpreters.search(interp.label()):
                continue
            ran = []
            for fn in matrix:
                name = "%s [%s]" % (fn.__name__, interp.label())
                if not wanted(name):
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
            if wanted(name):
                run_one(name, fn, None, counts)
    print("\n".join(summary))
    print(suite + ": %(passed)d passed, %(failed)d failed, %(skipped)d skipped" % counts)
    sys.exit(1 if counts["failed"] else 0)
