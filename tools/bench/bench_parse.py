"""Reading each profiler's output into one streaming summary (Acc)."""
import collections
import json
import re


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


PERF_SAMPLE = re.compile(r"\s(\d+\.\d+):\s+\d+\s+cpu-clock:")


def parse_perf_samples(text_iter, acc):
    """perf script output without call graphs: one line per sample, its
    time after the pid.  Counts them; returns the first one's time."""
    first = None
    for line in text_iter:
        m = PERF_SAMPLE.search(line)
        if m:
            acc.add([])
            first = first if first is not None else float(m.group(1))
    return first
