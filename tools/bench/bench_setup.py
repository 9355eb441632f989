"""What the benchmark runs: workloads, the interpreters that run them, and
the profiler configurations compared side by side (see bench.py)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
WL_DIR = os.path.join(HERE, "workloads")
# The chain workload's functions come from the tests' workload.
CHAIN_MODULE = os.path.join(HERE, "..", "..", "tests", "workloads", "distinct_chain.py")
SYS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
    # Real stacks: every frame a different code object (issue 15).
    "chain": dict(script="chain.py", args=["--length", "40", "--rounds", "4000"], split=None, frames=45,
                  what="a chain of 40 distinct functions over a CPU-bound leaf, 45 frames at the leaf"),
    "suite": dict(script="suite.py", args=["--rounds", "25"], split=None, frames=None,
                  targets=("py3.11",),
                  what="a pytest suite run in-process (pytest + pluggy + the code under test, "
                       "copy.deepcopy its hotspot), ~36-45 frames; Debian's python3-pytest"),
}


def runs_on(workload, target):
    """Whether WORKLOAD runs on TARGET (the suite needs the host's pytest)."""
    return target in WORKLOADS[workload].get("targets", (target,))


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
    def __init__(self, name, target, kind=None, rate=None, mode="cpu", label=None, base=False,
                 extra=(), env=None):
        self.name, self.target, self.kind, self.rate, self.mode = name, target, kind, rate, mode
        self.label = label or name
        self.base = base            # pybpf: the --base binary, for before/after in one run
        self.extra = list(extra)    # more profiler options
        self.env = env              # more profiler environment

    @property
    def baseline(self):
        return "none " + self.target


def configs(quick, base_rev=None):
    c = [Config("none", "py3.11"),
         Config("pybpf 100 Hz", "py3.11", "pybpf", 100),
         Config("pybpf 1000 Hz", "py3.11", "pybpf", 1000),
         Config("pybpf 10000 Hz", "py3.11", "pybpf", 10000)]
    if base_rev:
        c += [Config("pybpf@%s %d Hz" % (base_rev, hz), "py3.11", "pybpf", hz, base=True)
              for hz in (1000, 10000)]
    # Where the BPF program's time goes (three more clock reads a sample).
    c.append(Config("pybpf 1000 Hz --stats-stages", "py3.11", "pybpf", 1000, extra=["--stats-stages"]))
    # The walk kernels before 5.17 get (no bpf_loop: bounded loops), here.
    c.append(Config("pybpf 1000 Hz, bounded walk", "py3.11", "pybpf", 1000,
                    env={"PYBPF_KERNEL_FEATURES": "-bpf_loop"}))
    # The floor: what the timer interrupt alone costs the target at 10 kHz.
    c.append(Config("perf cpu-clock 10000 Hz", "py3.11", "perfclock", 10000))
    for us in ([1000] if quick else [10000, 1000, 100]):
        iv = "%dms" % (us // 1000) if us >= 1000 else "%dus" % us
        c.append(Config("austin -s -i %s" % iv, "py3.11", "austin", 1e6 / us, "cpu"))
        c.append(Config("austin -i %s (wall)" % iv, "py3.11", "austin", 1e6 / us, "wall"))
    c += [Config("none", "py3.15"),
          Config("pybpf 1000 Hz", "py3.15", "pybpf", 1000)]
    if base_rev:
        c.append(Config("pybpf@%s 1000 Hz" % base_rev, "py3.15", "pybpf", 1000, base=True))
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
