#!/usr/bin/env python3
"""pybpf output formats, checked with the real readers.  Run as root:
    python3 tests/integration/formats.py --pybpf build/pybpf --build build

One recording of three real workloads (a known 60/30/10 split, two phases
taking turns, three busy threads) is written in every format at once, raw
recording included.  Then:
  - speedscope: speedscope's own JSON schema, samples in the order taken
    (checked against the raw recording's time stamps), and the real
    speedscope app in headless Chromium;
  - flame graph: well-formed XML, and the SVG in Chromium (frames, zoom,
    search, no script errors);
  - pprof: decoded by the npm pprof-format reader; functions, lines, labels
    and totals equal the speedscope file's;
  - collapsed: the same stacks and counts as the speedscope file;
  - raw: read here by an independent reader of the format in recording.h;
    `pybpf report` gives byte-identical files, filters by pid and tid, and
    refuses truncated or corrupt files with one clear line;
  - columns (3.11+): two calls on one line are two positions in speedscope,
    pprof, the raw recording and --by-line names; none before 3.11;
  - the top-functions table, --quiet, -f and default output names.
Screenshots are kept in BUILD/formats/."""
import argparse
import collections
import contextlib
import glob
import itertools
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import xml.etree.ElementTree as ElementTree
import zlib

from harness import call_columns, def_line, expect_error, heatmap_data, leaf_lines, line_of

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WORKLOADS = os.path.join(ROOT, "tests", "workloads")
TOOLS = os.path.join(ROOT, "tools")
PYTHON = "/usr/bin/python3.11"
RATE = 4000         # five busy threads share two CPUs: many samples keep the shares steady
INTERVAL_NS = 10 ** 9 // RATE
SECONDS = 3
FORMATS = {"json": "speedscope", "svg": "flamegraph", "txt": "collapsed", "pb.gz": "pprof", "html": "heatmap"}

PYBPF = BUILD = TMP = ARTIFACTS = None
TESTS = []
RUN = {}        # the shared recording, made by the first test


def test(fn):
    TESTS.append(fn)
    return fn


@contextlib.contextmanager
def workload(script, *args, python=PYTHON):
    """A tests/workloads script under PYTHON (Debian's python3.11): its pid, once it says "ready"."""
    argv = [python, os.path.join(WORKLOADS, script)] + [str(a) for a in args]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as proc:
        try:
            line = proc.stdout.readline()
            assert line.strip() == "ready", "workload %s did not start: %r" % (argv, line)
            yield proc.pid
        finally:
            proc.kill()


def pybpf(*args, cwd=None):
    return subprocess.run([PYBPF] + [str(a) for a in args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


def node(script, *args):
    result = subprocess.run(["node", os.path.join(TOOLS, script)] + [str(a) for a in args],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, "%s failed (%d):\n%s%s" % (
        script, result.returncode, result.stdout, result.stderr)
    return result.stdout


def out(name):
    return os.path.join(TMP, name)


# ---- reading what pybpf wrote -------------------------------------------------

def frame_label(frame):
    """The frame text of collapsed stacks and flame graphs (user/profile/labels.c)."""
    if not frame.get("file"):
        return frame["name"]
    if frame.get("line", 0) > 0 and frame.get("col", 0) > 0:
        return "%s (%s:%d:%d)" % (frame["name"], frame["file"], frame["line"], frame["col"])
    if frame.get("line", 0) > 0:
        return "%s (%s:%d)" % (frame["name"], frame["file"], frame["line"])
    return "%s (%s)" % (frame["name"], frame["file"])


def speedscope_stacks(doc):
    """{(profile name, (frame label, ...)): samples}, aggregated."""
    frames = doc["shared"]["frames"]
    stacks = collections.Counter()
    for profile in doc["profiles"]:
        for sample, weight in zip(profile["samples"], profile["weights"]):
            assert weight % INTERVAL_NS == 0, "weight %d is not whole samples" % weight
            stacks[(profile["name"], tuple(frame_label(frames[i]) for i in sample))] += weight // INTERVAL_NS
    return stacks


def speedscope_sequence(doc, profile):
    """The profile's samples in its order: [frame names root first], one per sample."""
    frames = doc["shared"]["frames"]
    seq = []
    for sample, weight in zip(profile["samples"], profile["weights"]):
        seq += [tuple(frames[i]["name"] for i in sample)] * (weight // INTERVAL_NS)
    return seq


def profile_of(doc, pid, tid=None):
    tid = pid if tid is None else tid
    found = [p for p in doc["profiles"] if "[pid %d," % pid in p["name"] and " thread %d " % tid in p["name"]]
    assert len(found) == 1, "no single profile of pid %d thread %d in %s" % (
        pid, tid, [p["name"] for p in doc["profiles"]])
    return found[0]


def unescape_collapsed(text):
    return re.sub(r"\\(x3b|n|r|\\)", lambda m: {"x3b": ";", "n": "\n", "r": "\r", "\\": "\\"}[m.group(1)], text)


def collapsed_stacks(path):
    stacks = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            text, count = line.rstrip("\n").rsplit(" ", 1)
            parts = [unescape_collapsed(p) for p in text.split(";")]
            stacks[(parts[0], tuple(parts[1:]))] += int(count)
    return stacks


class RawRecording:
    """An independent reader of the raw format, from its description in
    user/output/recording.h: header, then (type, varint length, payload) records."""
    META, STRING, FRAME, PROCESS, THREAD, STACK, SAMPLE, END, SOURCE = range(1, 10)

    def __init__(self, path):
        data = open(path, "rb").read()
        assert data[:8] == b"PYBPFREC", "bad magic"
        assert struct.unpack("<I", data[8:12])[0] == 1, "not version 1"
        self.strings, self.frames, self.processes, self.threads = [], [], [], []
        self.sources = {}                                  # file name -> (error, bytes)
        self.stacks = collections.defaultdict(list)       # thread -> [frames]
        self.samples = []                                  # (thread, stack, time ns, count)
        pos, time_ns = 12, 0
        while True:
            start, rtype = pos, data[pos]
            length, pos = self._varint(data, pos + 1)
            payload, pos = data[pos:pos + length], pos + length
            if rtype == self.END:
                assert pos == len(data), "bytes after END"
                assert struct.unpack("<I", payload[-4:])[0] == zlib.crc32(data[:pos - 4]), "CRC"
                self.duration_ns, p = self._varint(payload, 0)
                self.title, p = self._text(payload, p)
                return
            fields = self._fields(rtype, payload)
            if rtype == self.META:
                self.interval_ns, self.start_ns = fields
            elif rtype == self.STRING:
                self.strings.append(fields[0])
            elif rtype == self.FRAME:
                self.frames.append(fields)
            elif rtype == self.PROCESS:
                self.processes.append(fields)
            elif rtype == self.THREAD:
                self.threads.append(fields)
            elif rtype == self.STACK:
                self.stacks[fields[0]].append(fields[2])
            elif rtype == self.SAMPLE:
                time_ns += fields[2]
                self.samples.append((fields[0], fields[1], time_ns, fields[3]))
            elif rtype == self.SOURCE:
                self.sources[self.strings[fields[0]]] = (fields[1], fields[2])

    @staticmethod
    def _varint(data, pos):
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7f) << shift
            shift += 7
            if not byte & 0x80:
                return value, pos

    @classmethod
    def _text(cls, data, pos):
        length, pos = cls._varint(data, pos)
        return data[pos:pos + length].decode("utf-8", "surrogateescape"), pos + length

    @classmethod
    def _fields(cls, rtype, payload):
        zigzag = lambda v: (v >> 1) ^ -(v & 1)
        # Added within version 1: FRAME's first line and start column (from 1,
        # 0 none), THREAD's name from threading.
        layout = {cls.META: "vv", cls.STRING: "t", cls.FRAME: "vvzzv", cls.PROCESS: "vvtt",
                  cls.THREAD: "vvtt", cls.STACK: "vvS", cls.SAMPLE: "vvzv", cls.SOURCE: "vvb"}[rtype]
        fields, pos = [], 0
        for i, kind in enumerate(layout):
            if pos == len(payload) and i >= 3 and rtype == cls.FRAME:
                value = 0                   # a recording from before first lines or columns
            elif pos == len(payload) and i == 3 and rtype == cls.THREAD:
                value = ""                  # a recording from before threading's names
            elif kind == "t":
                value, pos = cls._text(payload, pos)
            elif kind == "b":
                length, pos = cls._varint(payload, pos)
                value, pos = payload[pos:pos + length], pos + length
            elif kind == "S":           # the frames of a stack, its depth before them
                value = []
                for _ in range(fields[-1]):
                    frame, pos = cls._varint(payload, pos)
                    value.append(frame)
            else:
                value, pos = cls._varint(payload, pos)
                value = zigzag(value) if kind == "z" else value
            fields.append(value)
        return fields

    def frame(self, frame):
        """(name, file, line, first line, column from 1 or 0) of frame id FRAME."""
        name, file, line, first_line, column = self.frames[frame]
        return self.strings[name], self.strings[file], line, first_line, column

    def frame_names(self, thread, stack):
        return tuple(self.strings[self.frames[f][0]] for f in self.stacks[thread][stack])

    def thread_index(self, pid, tid):
        for i, (process, t, *_) in enumerate(self.threads):
            if t == tid and self.processes[process][0] == pid:
                return i
        raise AssertionError("no thread %d of %d in the recording" % (tid, pid))


# ---- the recording every test reads -------------------------------------------

@test
def record_every_format_at_once():
    with workload("split.py") as split, workload("phases.py") as phases, workload("threads.py") as threads:
        outputs = ["-o", out("run.pybpf")] + sum((["-o", out("direct." + ext)] for ext in FORMATS), [])
        # phases.py first: its thread is the profile speedscope opens with.
        result = pybpf("record", "-p", phases, "-p", split, "-p", threads,
                       "-d", SECONDS, "-r", RATE, *outputs)
    assert result.returncode == 0, "pybpf failed (%d): %s" % (result.returncode, result.stderr)
    for ext, name in list(FORMATS.items()) + [("pybpf", "raw")]:
        path = out("run.pybpf" if ext == "pybpf" else "direct." + ext)
        assert "pybpf: wrote %s (%s, " % (path, name) in result.stderr, result.stderr
    RUN.update(split=split, phases=phases, threads=threads, stderr=result.stderr)
    with open(out("direct.json"), encoding="utf-8") as f:
        RUN["doc"] = json.load(f)
    RUN["raw"] = RawRecording(out("run.pybpf"))
    # The recording keeps lines: report gives them back on request.
    result = pybpf("report", "-q", "-i", out("run.pybpf"), "--by-line", "-o", out("lines.json"))
    assert result.returncode == 0, result.stderr
    with open(out("lines.json"), encoding="utf-8") as f:
        RUN["lines"] = json.load(f)
    total = sum(count for _, _, _, count in RUN["raw"].samples)
    return "%d samples, %d thread profiles" % (total, len(RUN["doc"]["profiles"]))


# ---- speedscope ------------------------------------------------------------------

def leaf_weights(doc, pid):
    """split.py's leaf frames in DOC: (name, line) -> weight."""
    weights = collections.Counter()
    profile = profile_of(doc, pid)
    for sample, weight in zip(profile["samples"], profile["weights"]):
        leaf = doc["shared"]["frames"][sample[-1]]
        if leaf["name"].startswith("leaf_"):
            weights[(leaf["name"], leaf["line"])] += weight
    return weights


@test
def speedscope_schema_and_split():
    node("validate-speedscope.js", out("direct.json"))
    node("validate-speedscope.js", out("lines.json"))
    by_function, lines = leaf_weights(RUN["doc"], RUN["split"]), leaf_weights(RUN["lines"], RUN["split"])
    leaves = collections.Counter()
    for (name, line), weight in by_function.items():
        # By function (the default), a leaf is one frame, at its def line.
        assert line == def_line("split.py", name), (name, line)
        leaves[name] += weight
    split_frames = [f for f in RUN["doc"]["shared"]["frames"] if f["file"].endswith("/split.py")]
    assert len(split_frames) == len({f["name"] for f in split_frames}), \
        "a function of split.py in several frames: %s" % sorted((f["name"], f["line"]) for f in split_frames)
    # The same samples by line: as many, divided between the leaves' lines.
    for leaf in leaves:
        assert sum(w for (name, _), w in lines.items() if name == leaf) == leaves[leaf], (leaf, lines)
    total = sum(leaves.values())
    shares = {leaf: 100 * leaves[leaf] / total for leaf in leaves}
    for leaf, truth in (("leaf_a", 60), ("leaf_b", 30), ("leaf_c", 10)):
        assert abs(shares[leaf] - truth) <= 3, "%s: %.1f%%" % (leaf, shares[leaf])
    hot, loop = line_of("split.py", "HOT-A"), line_of("split.py", "LOOP-A")
    # leaf_a's samples are on its lines, most on the hot one; how its time
    # divides between them is the machine's.
    assert sum(lines[("leaf_a", n)] for n in leaf_lines("leaf_a")) == leaves["leaf_a"], lines
    assert lines[("leaf_a", hot)] > lines[("leaf_a", loop)], lines
    return "leaf shares a/b/c %.1f/%.1f/%.1f" % (shares["leaf_a"], shares["leaf_b"], shares["leaf_c"])


@test
def speedscope_samples_in_the_order_taken():
    doc, raw = RUN["doc"], RUN["raw"]
    # Every thread's samples, expanded, are the recording's samples in order.
    for profile in doc["profiles"]:
        m = re.search(r"\[pid (\d+).* thread (\d+) \(", profile["name"])
        thread = raw.thread_index(int(m.group(1)), int(m.group(2)))
        from_raw = [raw.frame_names(thread, s) for t, s, _, n in raw.samples if t == thread for _ in range(n)]
        assert speedscope_sequence(doc, profile) == from_raw, "%s is not in recording order" % profile["name"]
        times = [ts for t, _, ts, _ in raw.samples if t == thread]
        assert times == sorted(times), "time stamps of %s go backwards" % profile["name"]
    # phases.py: blocks of phase_one and phase_two taking turns, 0.25 s each.
    thread = raw.thread_index(RUN["phases"], RUN["phases"])
    blocks = []
    for t, stack, ts, _ in raw.samples:
        names = raw.frame_names(t, stack) if t == thread else ()
        phase = next((n for n in names if n.startswith("phase_")), None)
        if not phase:
            continue
        if blocks and blocks[-1][0] == phase:
            blocks[-1][2] = ts
        else:
            blocks.append([phase, ts, ts])
    assert len(blocks) >= SECONDS / 0.25 - 3, "only %d phase blocks: %s" % (len(blocks), [b[0] for b in blocks])
    spans = [(end - start) / 1e9 for _, start, end in blocks[1:-1]]
    assert all(0.15 <= s <= 0.3 for s in spans), "phase blocks of %s s" % ["%.3f" % s for s in spans]
    in_order = speedscope_sequence(doc, profile_of(doc, RUN["phases"]))
    runs = [k for k, _ in itertools.groupby(
        next((n for n in names if n.startswith("phase_")), None) for names in in_order) if k]
    assert runs == [b[0] for b in blocks], "speedscope's order differs from the recording's"
    return "%d alternating phase blocks, %.3f-%.3f s" % (len(blocks), min(spans), max(spans))


@test
def speedscope_loads_in_the_real_app():
    shot = os.path.join(ARTIFACTS, "speedscope.png")
    result = json.loads(node("browser-check.js", "--screenshot", shot, "speedscope", out("direct.json"),
                             "phase_one", "phase_two", "busy_for", "main", "<module>"))
    for path in result["screenshots"]:
        assert os.path.getsize(path) > 10000, "%s is nearly empty" % path
    # By function, each function is one row of the sandwich table; by line,
    # busy_for (a loop of two lines) is several.
    assert set(result["rows"].values()) == {1}, result["rows"]
    lines = json.loads(node("browser-check.js", "--screenshot", os.path.join(ARTIFACTS, "speedscope-by-line.png"),
                            "speedscope", out("lines.json"), "busy_for"))
    assert lines["rows"]["busy_for"] >= 2, lines["rows"]
    return "title %r; one row per function (by line: busy_for in %d); screenshots in %s" % (
        result["title"][:40], lines["rows"]["busy_for"], os.path.relpath(ARTIFACTS, ROOT))


# ---- flame graph ----------------------------------------------------------------

@test
def flamegraph_in_chromium():
    ElementTree.parse(out("direct.svg"))        # well-formed XML, or this raises
    shot = os.path.join(ARTIFACTS, "flamegraph.png")
    result = json.loads(node("browser-check.js", "--screenshot", shot, "flamegraph", out("direct.svg"),
                             "leaf_a", "leaf_b", "phase_one", "phase_two", "worker_alpha", "worker_gamma"))
    stacks = speedscope_stacks(RUN["doc"])
    total = sum(stacks.values())
    leaf_a = sum(n for (_, frames), n in stacks.items() if any(f.startswith("leaf_a ") for f in frames))
    assert abs(result["matched_percent"] - 100 * leaf_a / total) <= 0.1, (result, 100 * leaf_a / total)
    return "%d frames, search for leaf_a matched %.1f%%" % (result["frames"], result["matched_percent"])


# ---- heat map -------------------------------------------------------------------

def expected_shares(raw, name, line=None):
    """Shares (%) of all of RAW's samples running NAME (at LINE) and with it on the stack."""
    own = total = everything = 0
    for thread, stack, _, count in raw.samples:
        frames = [raw.frame(f) for f in raw.stacks[thread][stack]]
        everything += count
        at = lambda f: f[0] == name and (line is None or f[2] == line)
        own += count if frames and at(frames[-1]) else 0
        total += count if any(map(at, frames)) else 0
    return 100 * own / everything, 100 * total / everything


def shows_share(text, share):
    """Whether the page's TEXT ("12.3%", "<0.1%" or "" for none) is SHARE (%) rounded."""
    if text == "":
        return share == 0
    if text == "<0.1%":
        return 0 < share < 0.1
    return abs(float(text.rstrip("%")) - share) <= 0.051


@test
def heatmap_in_chromium():
    raw = RUN["raw"]
    split = os.path.join(WORKLOADS, "split.py")
    with open(split, "rb") as f:
        assert raw.sources[split] == (0, f.read()), "split.py's source is not the file's"
    shot = os.path.join(ARTIFACTS, "heatmap.png")
    result = json.loads(node("browser-check.js", "--screenshot", shot, "--search", "HOT-A", "heatmap",
                             out("direct.html"), "leaf_a", "busy_for", "phase_one"))
    for name in ("leaf_a", "busy_for", "phase_one"):
        got = result["functions"][name]
        own, total = expected_shares(raw, name)
        assert shows_share(got["own"], own) and shows_share(got["total"], total), (name, got, own, total)
    first = result["functions"]["leaf_a"]
    assert first["line"] == def_line("split.py", "leaf_a") and first["lineText"] == "def leaf_a(seconds):", first
    hot = line_of("split.py", "HOT-A")
    assert [m["line"] for m in result["marked"]] == [hot], result["marked"]
    assert result["status"].startswith("1 line in 1 file"), result["status"]
    own, total = expected_shares(raw, "leaf_a", hot)
    assert shows_share(result["marked"][0]["own"], own), (result["marked"], own)
    assert shows_share(result["marked"][0]["total"], total), (result["marked"], total)
    # A file the process no longer has is named, with why its text is missing.
    gone = out("gone.py")
    shutil.copy(split, gone)
    with subprocess.Popen([PYTHON, gone], stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout.readline().strip() == "ready"
            os.unlink(gone)
            result = pybpf("record", "-q", "-p", proc.pid, "-d", 1, "-o", out("gone.html"))
        finally:
            proc.kill()
    assert result.returncode == 0, result.stderr
    data = heatmap_data(out("gone.html"))
    assert [(f["name"], f["src"], f["error"].split(" (")[0]) for f in data["files"]] == \
        [(gone, None, "no such file in the process's file system")], [(f["name"], f["error"]) for f in data["files"]]
    return "leaf_a %s own; HOT-A found by search; clicks jump; a deleted file says why" % first["own"]


@test
def line_table_of_a_function():
    raw = RUN["raw"]
    result = pybpf("report", "-i", out("run.pybpf"), "--lines", "leaf_a")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first = def_line("split.py", "leaf_a")
    assert lines[0].startswith("leaf_a (%s:%d): " % (os.path.join(WORKLOADS, "split.py"), first)), lines[0]
    with open(os.path.join(WORKLOADS, "split.py"), encoding="utf-8") as f:
        source = f.read().splitlines()
    # Each line's samples are exactly the recording's: samples with leaf_a at that line.
    want = collections.Counter()
    for thread, stack, _, count in raw.samples:
        at = {f[2] for f in map(raw.frame, raw.stacks[thread][stack]) if f[0] == "leaf_a"}
        for line in at:
            want[line] += count
    rows = {}
    for row in lines[2:]:
        m = re.match(r"\s*(\d+)\s+(\d+)\s+(\d+)\s+([\d.]+)%\s+([\d.]+)%  (.*)$", row)
        assert m, "not a row: %r" % row
        line = int(m.group(1))
        assert m.group(6) == source[line - 1], (line, m.group(6), source[line - 1])
        rows[line] = int(m.group(2))
    assert min(rows) == first and {l: n for l, n in rows.items() if n} == dict(want), (rows, want)
    hot = line_of("split.py", "HOT-A")
    assert rows[hot] == max(rows.values()), rows
    unknown = pybpf("report", "-i", out("run.pybpf"), "--lines", "no_such_function")
    assert unknown.returncode == 1 and "no function called 'no_such_function' has samples (the hottest: " in unknown.stderr, unknown.stderr
    return "leaf_a: %d lines, HOT-A %d of %d samples" % (len(rows), rows[hot], sum(want.values()))


# ---- diff ----------------------------------------------------------------------------

def diff_rows(stdout):
    """pybpf diff's table: function -> (self before, after, total before, after)."""
    rows = {}
    for line in stdout.splitlines()[2:]:
        m = re.match(r"\s*([\d.]+)%\s+([\d.]+)%\s+\S+\s+([\d.]+)%\s+([\d.]+)%\s+\S+\s+(\S+) ", line)
        assert m, "not a row of the table: %r" % line
        rows[m.group(5)] = tuple(float(m.group(i)) for i in range(1, 5))
    return rows


@test
def diff_shows_a_removed_hotspot():
    for name, args in (("before", ()), ("after", ("--fixed",))):
        with workload("hotspot.py", *args) as pid:
            result = pybpf("record", "-q", "-p", pid, "-d", 1.5, "-r", RATE, "-o", out(name + ".pybpf"))
        assert result.returncode == 0, result.stderr
    result = pybpf("diff", out("before.pybpf"), out("after.pybpf"), "-o", out("diff.svg"), "-n", 50)
    assert result.returncode == 0, result.stderr
    rows = diff_rows(result.stdout)
    slow, steady = rows["find_slowly"], rows["steady_work"]
    # As shipped the scan is most of the time (lookups 60%); fixed, it is gone.
    assert slow[2] >= 30 and slow[3] == 0.0 and slow[1] == 0.0, slow
    assert "find_quickly" in rows and rows["find_quickly"][2] == 0.0 and rows["find_quickly"][3] > 0, rows
    # The fixed work is 40% in both (each leaf spins on its own CPU clock).
    assert abs(steady[2] - steady[3]) <= 5, steady
    assert next(iter(rows)) == "find_slowly", "the largest change is not first: %s" % list(rows)[:3]
    # The graph: the scan drawn in full blue, its tooltip with both shares.
    ElementTree.parse(out("diff.svg"))
    shot = os.path.join(ARTIFACTS, "diff.png")
    graph = json.loads(node("browser-check.js", "--screenshot", shot, "flamegraph", out("diff.svg"),
                            "find_slowly", "steady_work", "find_quickly"))
    for frame in graph["named"]["find_slowly"]:
        assert frame["fill"] == "rgb(31,96,214)" and "after 0.00%" in frame["info"] and \
            frame["info"].endswith(": gone"), frame
    assert all(f["fill"] == "rgb(214,39,40)" and f["info"].endswith(": new") for f in graph["named"]["find_quickly"]), \
        graph["named"]["find_quickly"]
    # Collapsed stacks from any tool compare the same as a recording (here: pybpf's own).
    assert pybpf("report", "-q", "-i", out("after.pybpf"), "-o", out("after.txt")).returncode == 0
    again = pybpf("diff", out("before.pybpf"), out("after.txt"), "-n", 50)
    assert again.returncode == 0, again.stderr
    assert diff_rows(again.stdout) == rows, (diff_rows(again.stdout), rows)
    bad = pybpf("diff", out("before.pybpf"), out("diff.svg"))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1 and "not a collapsed stack" in bad.stderr, bad.stderr
    return "find_slowly total %.1f%% -> %.1f%%, drawn as gone; collapsed input agrees" % (slow[2], slow[3])


# ---- pprof ------------------------------------------------------------------------

@test
def pprof_decoded_by_a_real_reader():
    summary = json.loads(node("pprof-summary.js", out("direct.pb.gz")))
    raw = RUN["raw"]
    assert summary["sampleTypes"] == [["samples", "count"], ["cpu", "nanoseconds"]], summary["sampleTypes"]
    assert summary["periodType"] == ["cpu", "nanoseconds"] and summary["period"] == INTERVAL_NS
    assert summary["defaultSampleType"] == "cpu"
    # The recording's length: -d, and the final drain (seconds on a loaded machine).
    assert SECONDS - 0.5 < summary["durationNanos"] / 1e9 < SECONDS + 30, summary["durationNanos"]
    assert abs(summary["timeNanos"] / 1e9 - time.time()) < 120, summary["timeNanos"]
    assert abs(summary["timeNanos"] - raw.start_ns) < 1000, (summary["timeNanos"], raw.start_ns)  # JS doubles
    by_thread = collections.Counter()
    for s in summary["samples"]:
        labels = s["labels"]
        assert s["values"][1] == s["values"][0] * INTERVAL_NS, s["values"]
        profile = profile_of(RUN["doc"], labels["pid"], labels["tid"])
        assert "(%s)" % labels["thread"] in profile["name"] and labels["process"] in profile["name"]
        frames = tuple(frame_label({"name": n, "file": f, "line": l, "col": c})
                       for n, f, l, c in reversed(s["stack"]))
        by_thread[(profile["name"], frames)] += s["values"][0]
    assert by_thread == speedscope_stacks(RUN["lines"]), "pprof stacks differ from speedscope's by line"
    # leaf_a's own samples: its function and file, on its two lines, most on the hot one.
    lines = collections.Counter()
    for sample in summary["samples"]:
        name, file, line, _ = sample["stack"][0] if sample["stack"] else (None, None, None, None)
        if name == "leaf_a":
            assert file == os.path.join(WORKLOADS, "split.py"), file
            lines[line] += sample["values"][0]
    hot, loop = line_of("split.py", "HOT-A"), line_of("split.py", "LOOP-A")
    assert sum(lines[n] for n in leaf_lines("leaf_a")) == sum(lines.values()), lines
    assert lines[hot] > lines[loop], lines
    return "%d samples in %d threads, the same stacks and totals as speedscope" % (
        sum(by_thread.values()), len({name for name, _ in by_thread}))


# ---- collapsed ----------------------------------------------------------------------

@test
def collapsed_round_trips_to_speedscope():
    got, want = collapsed_stacks(out("direct.txt")), speedscope_stacks(RUN["doc"])
    assert got == want, "collapsed differs: only in collapsed %s, only in speedscope %s" % (
        list(got - want)[:3], list(want - got)[:3])
    # speedscope's app reads it too (a thread's name becomes a root frame).
    node("browser-check.js", "--screenshot", os.path.join(ARTIFACTS, "collapsed-in-speedscope.png"),
         "speedscope", out("direct.txt"), "leaf_a", "phase_two", "worker_gamma")
    return "%d stacks, %d samples; imported by speedscope" % (len(got), sum(got.values()))


# ---- raw recordings and report ------------------------------------------------------

@test
def report_is_byte_identical():
    for ext, name in FORMATS.items():
        result = pybpf("report", "-i", out("run.pybpf"), "-o", out("reported." + ext))
        assert result.returncode == 0, result.stderr
        assert "pybpf: wrote %s (%s, " % (out("reported." + ext), name) in result.stderr, result.stderr
        with open(out("direct." + ext), "rb") as a, open(out("reported." + ext), "rb") as b:
            assert a.read() == b.read(), "report -f %s differs from record's own output" % name
    # A recording written by report (here: of a recording) reads the same.
    assert pybpf("report", "-q", "-i", out("run.pybpf"), "-f", "raw", "-o", out("again.pybpf")).returncode == 0
    assert pybpf("report", "-q", "-i", out("again.pybpf"), "-o", out("again.json")).returncode == 0
    with open(out("direct.json"), "rb") as a, open(out("again.json"), "rb") as b:
        assert a.read() == b.read(), "a recording re-written by report reads differently"
    return "speedscope, flamegraph, collapsed, pprof; and raw -> raw -> speedscope"


@test
def report_filters_by_pid_and_tid():
    doc = RUN["doc"]
    result = pybpf("report", "-q", "-i", out("run.pybpf"), "--pid", RUN["threads"], "-o", out("pid.json"))
    assert result.returncode == 0, result.stderr
    node("validate-speedscope.js", out("pid.json"))
    got = json.load(open(out("pid.json"), encoding="utf-8"))
    want = [p for p in doc["profiles"] if "[pid %d," % RUN["threads"] in p["name"]]
    assert got["profiles"] == want and len(want) >= 3, [p["name"] for p in got["profiles"]]
    beta = next(p["name"] for p in want if any("worker_beta" in names for names in speedscope_sequence(doc, p)))
    tid = int(re.search(r" thread (\d+) ", beta).group(1))
    result = pybpf("report", "-q", "-i", out("run.pybpf"), "--tid", tid, "-o", out("tid.txt"))
    assert result.returncode == 0, result.stderr
    got = collapsed_stacks(out("tid.txt"))
    assert got == {k: n for k, n in speedscope_stacks(doc).items() if k[0] == beta}, list(got)[:3]
    expect_error(pybpf("report", "-i", out("run.pybpf"), "--pid", 1, "-o", out("none.json")),
                   r"has no samples of the process or thread asked for")
    return "--pid: %d thread profiles; --tid: %d stacks" % (len(want), len(got))


@test
def damaged_recordings_are_refused():
    data = open(out("run.pybpf"), "rb").read()
    cases = [("empty", b"", r"not a pybpf recording"),
             ("magic", b"PYBPFXXX" + data[8:], r"not a pybpf recording"),
             ("text", b"{\"profiles\": []}\n", r"not a pybpf recording"),
             ("version", data[:8] + struct.pack("<I", 2) + data[12:], r"version 2 recording; this pybpf reads version 1 \(use a newer pybpf\)"),
             ("trailing", data + b"\0", r"corrupt at byte %d: data after the END record" % len(data))]
    for cut in (5, 12, 13, 100, len(data) // 2, len(data) - 5, len(data) - 1):
        cases.append(("cut at %d" % cut, data[:cut], r"truncated at byte \d+: the recording does not end properly"))
    for at in (20, len(data) // 3, len(data) // 2, len(data) - 10):
        flipped = bytearray(data)
        flipped[at] ^= 0x5a
        cases.append(("byte %d changed" % at, bytes(flipped), r"(corrupt|truncated) at byte \d+"))
    for name, content, pattern in cases:
        path = out("damaged.pybpf")
        with open(path, "wb") as f:
            f.write(content)
        result = pybpf("report", "-i", path, "-o", out("damaged.json"))
        expect_error(result, pattern)
        assert result.stderr.startswith("pybpf: error: %s " % path), result.stderr
        assert not os.path.exists(out("damaged.json")), "%s: an output was written" % name
    expect_error(pybpf("report", "-i", out("missing.pybpf")), r"cannot open the recording .*: No such file")
    return "%d damaged files, one line each" % len(cases)


# ---- columns ----------------------------------------------------------------------

def record_columns(python, name):
    """columns.py under PYTHON: a raw recording, speedscope, pprof; then by line from report."""
    outputs = {ext: out("%s.%s" % (name, ext)) for ext in ("pybpf", "json", "pb.gz")}
    with workload("columns.py", python=python) as pid:
        result = pybpf("record", "-q", "-p", pid, "-d", 2, "-r", RATE,
                       *sum((["-o", path] for path in outputs.values()), []))
    assert result.returncode == 0, result.stderr
    for ext in ("json", "txt"):
        outputs["lines." + ext] = out("%s-lines.%s" % (name, ext))
    result = pybpf("report", "-q", "-i", outputs["pybpf"], "--by-line",
                   "-o", outputs["lines.json"], "-o", outputs["lines.txt"])
    assert result.returncode == 0, result.stderr
    return pid, outputs


def callers_by_leaf(stacks, leaves):
    """{leaf: Counter(caller's position under it)} from STACKS: [(frames root first, count)]."""
    found = {leaf: collections.Counter() for leaf in leaves}
    for frames, count in stacks:
        if len(frames) >= 2 and frames[-1][0] in found:
            found[frames[-1][0]][frames[-2][1:]] += count
    return found


def positions_everywhere(outputs):
    """columns.py's samples as every output gives them: {output: {leaf: Counter((line, col))}},
    the caller's position under each leaf (column from 1, 0 none)."""
    leaves = ("leaf_a", "leaf_b")
    doc = json.load(open(outputs["lines.json"], encoding="utf-8"))
    frames = doc["shared"]["frames"]
    speedscope = [([(frames[i]["name"], frames[i].get("line", 0), frames[i].get("col", 0)) for i in sample],
                   weight // INTERVAL_NS) for p in doc["profiles"] for sample, weight in zip(p["samples"], p["weights"])]
    summary = json.loads(node("pprof-summary.js", outputs["pb.gz"]))
    pprof = [([(n, l, c) for n, _, l, c in reversed(s["stack"])], s["values"][0]) for s in summary["samples"]]
    raw = RawRecording(outputs["pybpf"])
    recorded = [([(f[0], f[2], f[4]) for f in map(raw.frame, raw.stacks[t][s])], n)
                for t, s, _, n in raw.samples]
    collapsed = []
    for (_, labels), n in collapsed_stacks(outputs["lines.txt"]).items():
        parsed = [re.fullmatch(r"(\S+) \(.*?(?::(\d+))?(?::(\d+))?\)", label) for label in labels]
        collapsed.append(([(m.group(1), int(m.group(2) or 0), int(m.group(3) or 0)) if m else (label, 0, 0)
                           for m, label in zip(parsed, labels)], n))
    return {name: callers_by_leaf(stacks, leaves) for name, stacks in
            (("speedscope", speedscope), ("pprof", pprof), ("raw", recorded), ("collapsed", collapsed))}


@test
def columns_tell_two_calls_on_a_line_apart():
    line, want = call_columns("columns.py", "TWO-CALLS", ("leaf_a", "leaf_b"))
    assert want["leaf_a"] != want["leaf_b"]
    pid, outputs = record_columns(PYTHON, "columns-3.11")
    for output, callers in positions_everywhere(outputs).items():
        for leaf, at in callers.items():
            # Under each leaf its caller is at the one call of it: that line, that call's column.
            assert set(at) == {(line, want[leaf])}, "%s: caller under %s at %s, not %s" % (
                output, leaf, dict(at), (line, want[leaf]))
            assert sum(at.values()) >= 20, "%s: only %d samples under %s" % (output, sum(at.values()), leaf)
    path = os.path.join(WORKLOADS, "columns.py")
    labels = {label for _, stack in collapsed_stacks(outputs["lines.txt"]) for label in stack}
    for leaf in want:
        assert "caller (%s:%d:%d)" % (path, line, want[leaf]) in labels, sorted(labels)
    # By function (the default) a frame is a function: no columns at all.
    by_function = json.load(open(outputs["json"], encoding="utf-8"))
    assert not [f for f in by_function["shared"]["frames"] if "col" in f], "a column by function"
    node("validate-speedscope.js", outputs["lines.json"])
    # report writes what record wrote: the columns come back from the recording.
    assert pybpf("report", "-q", "-i", outputs["pybpf"], "-o", out("columns-again.pb.gz")).returncode == 0
    with open(outputs["pb.gz"], "rb") as a, open(out("columns-again.pb.gz"), "rb") as b:
        assert a.read() == b.read(), "report's pprof lost or changed columns"
    return "line %d: leaf_a called at column %d, leaf_b at %d, in speedscope, pprof, raw, collapsed" % (
        line, want["leaf_a"], want["leaf_b"])


@test
def no_columns_before_python_311():
    # 3.10's co_linetable and 3.9's co_lnotab: lines, no columns.
    found = glob.glob("/root/.pyenv/versions/3.10*/bin/python3.10")[:1] + \
        glob.glob("/root/.pyenv/versions/3.9*/bin/python3.9")[:1]
    if not found:
        return "SKIP: no pyenv 3.9 or 3.10"
    line, _ = call_columns("columns.py", "TWO-CALLS", ("leaf_a", "leaf_b"))
    for python in found:
        _, outputs = record_columns(python, "columns-" + os.path.basename(python))
        for output, callers in positions_everywhere(outputs).items():
            for leaf, at in callers.items():
                # The line is known, its column is not: none, never a made-up one.
                assert set(at) == {(line, 0)}, "%s %s: caller under %s at %s" % (python, output, leaf, dict(at))
                assert sum(at.values()) >= 20, "%s %s: only %d samples under %s" % (
                    python, output, sum(at.values()), leaf)
        doc = json.load(open(outputs["lines.json"], encoding="utf-8"))
        assert not [f for f in doc["shared"]["frames"] if "col" in f], "a column from %s" % python
    return "%s: caller at line %d under both leaves, no column anywhere" % (
        ", ".join(os.path.basename(p) for p in found), line)


# ---- the end of record: top functions, --quiet, formats, names ----------------------

@test
def top_functions_table():
    lines = RUN["stderr"].splitlines()
    start = next(i for i, l in enumerate(lines) if re.match(r"pybpf: top functions of \d+ samples:", l))
    total = int(re.search(r"of (\d+) samples", lines[start]).group(1))
    rows = []
    for l in lines[start + 2:]:
        m = re.match(r"pybpf:\s+([\d.]+)%\s+([\d.]+)%\s+(\S+) \((.*)\)$", l)
        if not m:
            break
        rows.append((m.group(3), m.group(4), float(m.group(1)), float(m.group(2))))
    assert 1 <= len(rows) <= 10, rows
    assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True), "not by self time: %s" % rows
    stacks = speedscope_stacks(RUN["doc"])
    assert total == sum(stacks.values()), (total, sum(stacks.values()))
    for name, file, self_pct, total_pct in rows:
        of_it = lambda label: label.startswith("%s (%s:" % (name, file)) or label == "%s (%s)" % (name, file)
        own = sum(n for (_, frames), n in stacks.items() if frames and of_it(frames[-1]))
        anywhere = sum(n for (_, frames), n in stacks.items() if any(map(of_it, frames)))
        assert abs(self_pct - 100 * own / total) <= 0.051, (name, self_pct, own, total)
        assert abs(total_pct - 100 * anywhere / total) <= 0.051, (name, total_pct, anywhere, total)
    names = [r[0] for r in rows]
    assert "leaf_a" in names and "busy_for" in names, names
    return ", ".join("%s %.1f%%" % (r[0], r[2]) for r in rows[:4])


@test
def quiet_format_option_and_default_names():
    work = out("names")
    os.makedirs(work)
    with workload("split.py") as pid:
        quiet = pybpf("record", "-q", "-p", pid, "-d", 0.5, "-o", os.path.join(work, "q.json"))
        forced = pybpf("record", "-q", "-p", pid, "-d", 0.5, "-f", "collapsed", "-o", os.path.join(work, "f.out"))
        default = pybpf("record", "-q", "-p", pid, "-d", 0.5, "-f", "flamegraph", cwd=work)
    assert quiet.returncode == 0 and quiet.stderr == "", "--quiet said: %r" % quiet.stderr
    node("validate-speedscope.js", os.path.join(work, "q.json"))
    assert forced.returncode == 0, forced.stderr
    assert re.match(r"\S.* \[pid \d+, Python [\d.]+\] thread \d+ \(.*\);.* \d+\n",
                    open(os.path.join(work, "f.out"), encoding="utf-8").readline()), "-f collapsed ignored"
    assert default.returncode == 0, default.stderr
    ElementTree.parse(os.path.join(work, "pybpf-%d.svg" % pid))
    bad = pybpf("record", "-p", 1, "-f", "html")
    assert bad.returncode == 2 and "unknown format 'html': choose one of speedscope, flamegraph, " \
        "collapsed, pprof, heatmap, raw" in bad.stderr, bad.stderr
    two = pybpf("record", "-p", 1, "-o", "a.pybpf", "-o", "b.pybpf")
    assert two.returncode == 2 and "two raw recordings" in two.stderr, two.stderr
    return "quiet is silent; -f collapsed, default pybpf-PID.svg"


def run_one(fn, counts):
    start = time.monotonic()
    try:
        note = fn()
        counts["passed"] += 1
        print("PASS %-44s %5.1fs %s" % (fn.__name__, time.monotonic() - start, note or ""), flush=True)
    except Exception:
        counts["failed"] += 1
        print("FAIL %s\n%s" % (fn.__name__, traceback.format_exc()), flush=True)


def main():
    global PYBPF, BUILD, TMP, ARTIFACTS
    parser = argparse.ArgumentParser()
    parser.add_argument("--pybpf", required=True)
    parser.add_argument("--build", default="build")
    parser.add_argument("-k", "--filter", default="", help="a regular expression: only the tests it finds")
    args = parser.parse_args()
    PYBPF = os.path.abspath(args.pybpf)
    BUILD = os.path.abspath(args.build)
    ARTIFACTS = os.path.join(BUILD, "formats")
    if os.geteuid() != 0:
        sys.exit("format tests record with BPF: run them as root")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    os.makedirs(ARTIFACTS)
    counts = collections.Counter(passed=0, failed=0)
    with tempfile.TemporaryDirectory(prefix="pybpf-formats-") as TMP:
        for fn in TESTS:
            # Everything reads the first test's recording: it always runs.
            if fn is TESTS[0] or re.search(args.filter, fn.__name__):
                run_one(fn, counts)
                if fn is TESTS[0] and counts["failed"]:
                    break
    print("formats: %(passed)d passed, %(failed)d failed" % counts)
    sys.exit(1 if counts["failed"] else 0)


if __name__ == "__main__":
    main()
