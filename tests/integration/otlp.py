#!/usr/bin/env python3
"""pybpf record --otlp (issue 22) against a real OpenTelemetry Collector:
Debian's own collector core with the OTLP receiver, its debug exporter and
a JSON-lines exporter (tools/otelcol, built offline by
tools/provision-otelcol.sh), on 127.0.0.1.  Run as root:
    python3 tests/integration/otlp.py --pybpf build/pybpf --build build

  - periods of two real Python processes streamed to it: every sample
    pybpf recorded arrives, under its process (resource attributes), its
    thread (sample attributes), at the functions and lines the workload
    runs, in the shares it runs them; the debug exporter takes it too;
  - the collector stopped mid-run and started again: the periods of the
    outage wait in the buffer and arrive, none lost;
  - no collector at all: sampling goes on, one warning, the end within the
    flush's bound with what was not sent counted, the local file written;
  - a command and the Python it starts (-- CMD --subprocesses), each under
    its own pid;
  - an agent (-a, no local output) where processes come and go lets go
    of each one that ended once its samples are sent, and every one of
    them arrives whole;
  - --mode wall: the waits' reasons arrive as frames;
  - bad options: one line and exit 2.

What is checked is what arrived, never how fast: a period is whatever the
machine made of it."""
import collections
import json
import os
import signal
import socket
import subprocess
import time

import harness
from harness import Workload, leaf_lines, sid, wait_cpu, wait_for
from faults_common import TESTS, finish, pybpf_popen, test, tmp, warnings

PYTHON = "/usr/bin/python3.11"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Collector:
    """The test collector on PORT of 127.0.0.1, its JSON lines in NAME.jsonl
    and its own output (the debug exporter's) in NAME.log."""

    def __init__(self, name, port=None, config="config.yaml"):
        self.port = port or free_port()
        self.config = config
        self.json = tmp(name + ".jsonl")
        self.log = tmp(name + ".log")
        self.url = "http://127.0.0.1:%d" % self.port

    def __enter__(self):
        binary = os.path.join(harness.BUILD, "otelcol", "pybpf-otelcol")
        config = os.path.join(harness.BUILD, "otelcol", self.config)
        env = dict(os.environ, OTEL_PORT=str(self.port), OTEL_JSON_OUT=self.json)
        self.log_file = open(self.log, "ab")
        self.proc = subprocess.Popen([binary, "--config=file:" + config, "--feature-gates=service.profilesSupport"],
                                     env=env, stdout=self.log_file, stderr=subprocess.STDOUT)
        wait_for(lambda: self.proc.poll() is not None or "Everything is ready" in self.text(), 120,
                 "the collector to start")
        assert self.proc.poll() is None, "the collector exited: %s" % self.text()[-3000:]
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(60)
        self.log_file.close()

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def batches(self):
        """The requests' contents as the collector took them (OTLP/JSON), in order
        (a line still being written is not one yet)."""
        if not os.path.exists(self.json):
            return []
        with open(self.json) as f:
            return [json.loads(line) for line in f if line.endswith("\n")]


def samples_of(batch):
    """Each sample of a batch: (resource attributes, sample attributes,
    frames leaf first as (function, file, line), samples it stands for,
    the profile's time, the profile's id)."""
    d = batch["dictionary"]
    strings = d["stringTable"]

    def value(v):
        if "stringValue" in v:
            return v["stringValue"]
        if "stringValueStrindex" in v:
            return strings[v["stringValueStrindex"]]
        return int(v["intValue"]) if "intValue" in v else None

    def key(kv):
        return kv["key"] if "key" in kv else strings[kv.get("keyStrindex", 0)]

    for rp in batch["resourceProfiles"]:
        resource = {key(kv): value(kv["value"]) for kv in rp["resource"].get("attributes", [])}
        for sp in rp["scopeProfiles"]:
            assert sp["scope"]["name"] == "pybpf", sp["scope"]
            for prof in sp["profiles"]:
                period = int(prof["period"])
                for sample in prof["samples"]:
                    attrs = {}
                    for i in sample.get("attributeIndices", []):
                        a = d["attributeTable"][i]
                        attrs[strings[a.get("keyStrindex", 0)]] = value(a["value"])
                    frames = []
                    for i in d["stackTable"][sample.get("stackIndex", 0)].get("locationIndices", []):
                        (line,) = d["locationTable"][i]["lines"]
                        fn = d["functionTable"][line.get("functionIndex", 0)]
                        frames.append((strings[fn.get("nameStrindex", 0)], strings[fn.get("filenameStrindex", 0)],
                                       int(line.get("line", 0))))
                    total = sum(int(v) for v in sample["values"])
                    assert total % period == 0, (total, period)
                    yield resource, attrs, frames, total // period, int(prof["timeUnixNano"]), prof["profileId"]


def unique_batches(collectors):
    """The batches that arrived, each once: a send that timed out may have
    arrived all the same, and its retry is the same request (the same
    profile ids), which a backend can tell."""
    seen, unique = set(), []
    for c in collectors:
        for batch in c.batches():
            ids = tuple(sorted({s[5] for s in samples_of(batch)}))
            if ids not in seen:
                seen.add(ids)
                unique.append(batch)
    return unique


def received(collectors):
    """Samples that arrived, by pid: [(resource, attributes, frames, count, time, profile id)]."""
    by_pid = collections.defaultdict(list)
    for batch in unique_batches(collectors):
        for s in samples_of(batch):
            by_pid[s[0]["process.pid"]].append(s)
    return by_pid


def collapsed_total(path):
    with open(path) as f:
        return sum(int(line.rsplit(" ", 1)[1]) for line in f if line.strip())


def agent(url, targets, name, extra=()):
    """pybpf record --otlp URL at 1 kHz, a period a second, writing collapsed
    stacks to NAME.txt too and its figures to NAME.stats; once it has
    attached.  At the end it may take a minute to send what is left: a
    loaded machine's collector may be slow to answer."""
    proc = pybpf_popen(["record", "-r", "1000", "--otlp", url, "--interval", "1", "--otlp-flush", "60",
                        "-f", "collapsed", "-o", tmp(name + ".txt"), "--stats", tmp(name + ".stats")] + list(extra) +
                       [a for pid in targets for a in ("-p", pid)])
    harness.wait_attached(proc)
    return proc


def stop(proc, name):
    """SIGTERM the agent: (its stderr, its --stats figures, seconds it took to end)."""
    proc.send_signal(signal.SIGTERM)
    err, _, took = finish(proc, timeout=180)
    assert proc.returncode == 0, "pybpf exited %d: %s" % (proc.returncode, err)
    with open(tmp(name + ".stats")) as f:
        return err, json.load(f), took


def wait_batches(collector, n, pid, seconds):
    """Until the collector holds N batches (PID running: it is what feeds them)."""
    wait_for(lambda: len(collector.batches()) >= n, seconds, "%d batches at the collector" % n)


def everything_arrived(st, local_total, collectors):
    """Every sample recorded was sent, and what was sent arrived."""
    o = st["otlp"]
    assert o["dropped_periods"] == o["unsent_periods"] == o["refused_periods"] == o["encode_failures"] == 0, o
    assert o["sent_samples"] == local_total, (o, local_total)
    unique = unique_batches(collectors)
    got = sum(s[3] for b in unique for s in samples_of(b))
    assert got == local_total, "arrived %d samples of %d" % (got, local_total)
    assert o["sent_periods"] == len(unique), o
    # A request arrives twice only where a send failed (timed out) and was tried again.
    twice = sum(len(c.batches()) for c in collectors) - len(unique)
    assert twice <= o["attempts_failed"], (twice, o)


# A container's id as runtimes name its cgroup (docker-ID.scope).
CONTAINER_ID = "5eed" * 16


@test
def otlp_streams_processes_threads_frames_and_lines():
    """The host's python3.11, and sid's 3.14 in a chroot in a cgroup named as Docker names a container's."""
    container = sid("3.14")
    container.available()
    cgdir = os.path.join("/sys/fs/cgroup/pids" if os.path.isdir("/sys/fs/cgroup/pids") else "/sys/fs/cgroup",
                         "pybpf-otlp-%d" % os.getpid(), "docker-%s.scope" % CONTAINER_ID)
    os.makedirs(cgdir, exist_ok=True)
    try:
        with Collector("stream") as c, Workload(PYTHON, "split.py") as a, Workload(container, "split.py") as b:
            with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
                f.write(str(b.pid))
            proc = agent(c.url, [a.pid, b.pid], "stream")
            wait_batches(c, 1, a.pid, 120)
            # Four seconds of each one's CPU, however loaded the machine: four periods or more.
            wait_cpu(a.pid, 4)
            wait_cpu(b.pid, 1)
            err, st, _ = stop(proc, "stream")
    finally:
        os.rmdir(cgdir)
        os.rmdir(os.path.dirname(cgdir))
    everything_arrived(st, collapsed_total(tmp("stream.txt")), [c])
    assert len(c.batches()) >= 3, len(c.batches())
    by_pid = received([c])
    assert set(by_pid) == {a.pid, b.pid}, sorted(by_pid)
    for pid, exe, version, container_id in ((a.pid, os.path.basename(os.path.realpath(PYTHON)), "3.11.", None),
                                            (b.pid, "python3.14", "3.14.", CONTAINER_ID)):
        resource = by_pid[pid][0][0]
        want = {"host.name": socket.gethostname(), "process.pid": pid, "process.executable.name": exe,
                "process.runtime.name": "CPython", "container.id": container_id}
        assert {k: resource.get(k) for k in want} == want, resource
        assert resource["process.runtime.version"].startswith(version), resource
        assert "split.py" in resource["process.command_line"], resource
        leaves = collections.Counter()
        for _, attrs, frames, count, _, _ in by_pid[pid]:
            assert attrs.get("thread.id") == pid and attrs.get("thread.name"), attrs
            name, path, line = frames[0]
            if name.startswith("leaf_"):
                assert path.endswith("split.py") and line in leaf_lines(name), frames[0]
                leaves[name] += count
        total = sum(leaves.values())
        shares = {leaf: 100.0 * leaves[leaf] / total for leaf in ("leaf_a", "leaf_b", "leaf_c")}
        # The split is exact by the workload's own clock; the samples' is statistical.
        for leaf, want_share in (("leaf_a", 60), ("leaf_b", 30), ("leaf_c", 10)):
            assert abs(shares[leaf] - want_share) <= 5, shares
    # The stock debug exporter takes the same requests.
    text = c.text()
    for pid in (a.pid, b.pid):
        assert "process.pid: Int(%d)" % pid in text, text[-2000:]
    assert "Profile #0" in text and "Sample #0" in text
    assert not warnings(err), warnings(err)
    return "%d periods, %d samples; 3.11 and 3.14 in a container; shares a/b/c %.0f/%.0f/%.0f (the container's)" % (
        st["otlp"]["sent_periods"], st["otlp"]["sent_samples"], shares["leaf_a"], shares["leaf_b"], shares["leaf_c"])


@test
def otlp_collector_restarted_mid_run_loses_nothing():
    port = free_port()
    with Workload(PYTHON, "split.py") as w:
        with Collector("first", port) as first:
            proc = agent(first.url, [w.pid], "restart")
            wait_batches(first, 2, w.pid, 120)
        stopped_ns = time.time_ns()
        # The collector away for three seconds of the workload's CPU: three periods or more wait.
        wait_cpu(w.pid, 3)
        restarted_ns = time.time_ns()
        with Collector("second", port) as second:
            # The outage's periods: the one the stop cut into, and those begun while it lasted.
            before = lambda at: [b for b in second.batches() if any(s[4] < at for s in samples_of(b))]
            wait_for(lambda: before(stopped_ns) and len(before(restarted_ns)) >= 2 and len(second.batches()) >= 4,
                     180, "the periods of the outage at the restarted collector")
            err, st, _ = stop(proc, "restart")
    everything_arrived(st, collapsed_total(tmp("restart.txt")), [first, second])
    assert st["otlp"]["attempts_failed"] >= 1, st["otlp"]
    lines = warnings(err)
    assert len([l for l in lines if "trying again" in l]) == 1, lines
    assert "takes profiles again" in err, err
    return "%d periods before the stop, %d after (%d of them the outage's), %d sends tried again" % (
        len(first.batches()), len(second.batches()), len(before(restarted_ns)), st["otlp"]["attempts_failed"])


@test
def otlp_collector_frozen_mid_run_times_out_and_catches_up():
    """A collector that takes connections but answers nothing (SIGSTOP): sends time out
    (5 s each) and are tried again; sampling goes on; once it thaws, everything arrives."""
    with Workload(PYTHON, "split.py") as w, Collector("frozen") as c:
        proc = agent(c.url, [w.pid], "frozen")
        wait_batches(c, 2, w.pid, 120)
        before = len(c.batches())
        os.kill(c.proc.pid, signal.SIGSTOP)
        try:
            # Longer than a send's timeout, in the workload's own CPU time.
            wait_cpu(w.pid, 7)
        finally:
            os.kill(c.proc.pid, signal.SIGCONT)
        # Distinct periods: after the thaw the collector also reads the copies of the timed-out sends.
        wait_for(lambda: len(unique_batches([c])) >= before + 3, 180, "the periods of the freeze at the collector")
        err, st, _ = stop(proc, "frozen")
    twice = len(c.batches()) - len(unique_batches([c]))
    everything_arrived(st, collapsed_total(tmp("frozen.txt")), [c])
    assert st["otlp"]["attempts_failed"] >= 1, st["otlp"]
    lines = [l for l in warnings(err) if "trying again" in l]
    assert len(lines) == 1 and "timed out" in lines[0], warnings(err)
    return "%d periods, %d sends timed out or failed and were tried again, %d arrived twice (same profile ids)" % (
        st["otlp"]["sent_periods"], st["otlp"]["attempts_failed"], twice)


@test
def otlp_collector_without_profiles_refuses_and_is_counted():
    """A collector with no profiles pipeline answers 404: each period is dropped, counted,
    told once; sampling and the local file are untouched."""
    with Workload(PYTHON, "split.py") as w, Collector("refusing", config="config-traces-only.yaml") as c:
        proc = agent(c.url, [w.pid], "refusing")
        wait_cpu(w.pid, 3)
        err, st, _ = stop(proc, "refusing")
    o, local = st["otlp"], collapsed_total(tmp("refusing.txt"))
    assert o["sent_periods"] == 0 and o["refused_periods"] >= 2 and o["attempts_failed"] == 0, o
    assert o["refused_samples"] + o["unsent_samples"] == local, (o, local)
    lines = warnings(err)
    assert len([l for l in lines if "answered HTTP 404" in l]) == 1, lines
    assert any("not delivered: %d periods" % o["refused_periods"] in l for l in lines), lines
    return "%d periods refused (404), %d samples counted, the local file whole" % (o["refused_periods"], local)


@test
def otlp_without_a_collector_keeps_sampling_and_ends_in_bounds():
    url = "http://127.0.0.1:%d" % free_port()   # nobody listens there
    with Workload(PYTHON, "split.py") as w:
        proc = agent(url, [w.pid], "nobody", extra=["--otlp-flush", "1"])
        wait_cpu(w.pid, 2)
        err, st, took = stop(proc, "nobody")
    # The flush's bound holds: a second of it, and the rest of an ending (a generous bound,
    # failing only if the end waited on the collector past the flush).
    assert took < 60, took
    o = st["otlp"]
    local = collapsed_total(tmp("nobody.txt"))
    assert local > 0 and o["sent_periods"] == 0 and o["attempts_failed"] >= 1, (local, o)
    # Whatever was not sent is counted: in the buffer at the end, or never encoded.
    assert o["unsent_samples"] == local and o["dropped_periods"] == 0, (local, o)
    lines = warnings(err)
    assert len([l for l in lines if "Connection refused" in l]) == 1, lines
    assert any("not delivered" in l and "%d samples) unsent at the end" % local in l for l in lines), lines
    return "%d samples recorded, written locally, counted unsent" % local

# A command that runs a child Python, then works itself: each spins on its own CPU clock.
PARENT = """
import subprocess, sys, time
def spin(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
def parent_work():
    spin(1.0)
subprocess.run([sys.executable, "-c", "import time\\n"
                "def child_work():\\n"
                "    end = time.process_time() + 1.0\\n"
                "    while time.process_time() < end: pass\\n"
                "child_work()\\n"], check=True)
parent_work()
"""


@test
def otlp_streams_a_command_and_its_children():
    """record --otlp --subprocesses -- CMD: the command and the Python it starts, each under
    its own pid at the collector; the recording ends with the command and sends what is left."""
    script = tmp("otlp-parent.py")
    with open(script, "w") as f:
        f.write(PARENT)
    with Collector("command") as c:
        proc = pybpf_popen(["record", "-r", "1000", "--otlp", c.url, "--interval", "1", "--otlp-flush", "60",
                            "--stats", tmp("command.stats"), "--subprocesses", "--", PYTHON, script])
        err, _, _ = finish(proc, timeout=300)
    assert proc.returncode == 0, err
    with open(tmp("command.stats")) as f:
        st = json.load(f)
    everything_arrived(st, st["otlp"]["sent_samples"], [c])
    work = collections.defaultdict(collections.Counter)
    for pid, samples in received([c]).items():
        for _, _, frames, count, _, _ in samples:
            for name in ("parent_work", "child_work"):
                if any(f[0] == name for f in frames):
                    work[name][pid] += count
    # Each ran a second of CPU: a sample a millisecond, half of them at the least however loaded.
    assert set(work) == {"parent_work", "child_work"}, dict(work)
    (parent,), (child,) = work["parent_work"], work["child_work"]
    assert parent != child, (parent, child)
    assert work["parent_work"][parent] >= 500 and work["child_work"][child] >= 500, dict(work)
    # The child ended first: let go of once sent, or still held at the end, never lost (the
    # fork that ran the child's exec is an incarnation of its own).
    assert st["let_go"]["processes"] + len(st["processes"]) >= 2, (st["let_go"], st["processes"])
    return "parent %d and child %d samples at the collector, under their pids; %d let go of" % (
        work["parent_work"][parent], work["child_work"][child], st["let_go"]["processes"])


# A short-lived process: a known function for a third of a second of CPU, then gone.
CHURNER = """
import time
def churn_work(seconds):
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
churn_work(0.3)
"""


@test
def otlp_agent_lets_go_of_ended_processes_and_delivers_them_whole():
    """record -a --otlp with no local output, while short processes come and go (three at a
    time) beside a long one: each that ended is let go of once a request has taken its
    samples (its record, threads and stacks freed: what keeps an agent's memory to the
    processes running), and every sample of every one of them arrives."""
    churners, at_once = 12, 3
    # Named so that --comm picks these alone out of the host's Python processes.
    exe = tmp("pybpf-churn")
    if not os.path.islink(exe):
        os.symlink(os.path.realpath(PYTHON), exe)
    script = tmp("churn.py")
    with open(script, "w") as f:
        f.write(CHURNER)
    with Collector("letgo") as c:
        proc = pybpf_popen(["record", "-a", "--comm", "pybpf-churn", "-r", "1000", "--otlp", c.url, "--interval", "1",
                            "--otlp-flush", "60", "--stats", tmp("letgo.stats")])
        harness.wait_attached(proc)
        with Workload(exe, "split.py") as w:
            pids = []
            for first in range(0, churners, at_once):
                batch = [subprocess.Popen([exe, script]) for _ in range(at_once)]
                for p in batch:
                    assert p.wait(120) == 0
                pids += [p.pid for p in batch]
            # Every churner has exited: two periods more (the long one feeds them) and each is sent and let go of.
            sent = len(c.batches())
            wait_batches(c, sent + 3, w.pid, 120)
            err, st, _ = stop(proc, "letgo")
    assert proc.returncode == 0, err
    everything_arrived(st, st["otlp"]["sent_samples"], [c])
    assert st["let_go"]["processes"] == churners, (st["let_go"], [p["pid"] for p in st["processes"]])
    assert [p["pid"] for p in st["processes"]] == [w.pid], st["processes"]
    assert "and %d more processes that ended, already sent (--otlp): %d samples" % (
        churners, st["let_go"]["samples"]) in err, err
    by_pid = received([c])
    for pid in pids:
        work = sum(s[3] for s in by_pid[pid] if any(f[0] == "churn_work" for f in s[2]))
        assert work > 0, (pid, sorted(by_pid))
        assert by_pid[pid][0][0]["process.command_line"].endswith("churn.py"), by_pid[pid][0][0]
    return "%d of %d ended processes let go of, each at the collector (%d samples in all, %d of theirs)" % (
        st["let_go"]["processes"], churners, st["otlp"]["sent_samples"],
        sum(s[3] for pid in pids for s in by_pid[pid]))


@test
def otlp_wall_mode_sends_the_waits():
    with Collector("wall") as c, Workload(PYTHON, "waits.py") as w:
        proc = agent(c.url, [w.pid], "wall", extra=["--mode", "wall"])
        wait_batches(c, 2, w.pid, 120)
        err, st, _ = stop(proc, "wall")
    everything_arrived(st, collapsed_total(tmp("wall.txt")), [c])
    names = collections.Counter()
    for _, attrs, frames, count, _, _ in received([c])[w.pid]:
        names[(attrs.get("thread.name"), frames[0][0])] += count
    for thread, state in (("sleeper", "[sleeping]"), ("reader", "[I/O: read]")):
        assert names[(thread, state)], names
    with open(tmp("wall.stats")) as f:
        assert json.load(f)["otlp"]["sent_samples"] == st["otlp"]["sent_samples"]
    return "sleeper [sleeping], reader [I/O: read] received"


@test
def otlp_bad_options_say_what_to_give():
    cases = [
        (["--otlp", "https://c:4318"], "https is not spoken here"),
        (["--otlp", "c:4318"], "not an http:// URL"),
        (["--otlp", "http://c:99999"], "the port must be a number from 1 to 65535"),
        (["--interval", "5"], "--interval, --otlp-buffer and --otlp-flush go with --otlp URL"),
        (["--otlp", "http://c", "--interval", "0.1"], "invalid interval '0.1'"),
        (["--otlp", "http://c", "--otlp-buffer", "0"], "invalid --otlp-buffer '0'"),
    ]
    for args, says in cases:
        result = subprocess.run([harness.PYBPF, "record", "-p", str(os.getpid())] + args, capture_output=True,
                                text=True, timeout=60)
        first = result.stderr.splitlines()[0] if result.stderr else ""
        assert result.returncode == 2 and says in first, (args, result.returncode, result.stderr)
    return "%d bad options refused in one line" % len(cases)


if __name__ == "__main__":
    harness.main(tests=TESTS, matrix=[], suite="otlp")
