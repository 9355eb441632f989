#!/usr/bin/env python3
"""pybpf on Debian's own kernels: each suite's linux-image-amd64 booted under
QEMU with virtme-ng (tools/kernels/vm-run.sh: the host's root shared
read-only, /tmp the guest's own), and inside it a subset of the
integration tests against real CPython processes.  One line per kernel
and feature, then a summary line per kernel.

Where a kernel lacks an optional feature (bpf_loop before 5.17,
sched_switch's prev_state before 5.18), the same tests pass through what
pybpf chooses instead.

usage: kernels.py --pybpf PATH [--build DIR] [--suite SUITE ...]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

BUILD = None
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VM_RUN = os.path.join(ROOT, "tools", "kernels", "vm-run.sh")
PYTHON = "/usr/bin/python3.11"

# Debian's kernels: 5.10 has neither bpf_loop (5.17) nor sched_switch's
# prev_state (5.18), so pybpf takes its bounded walk and reads the task's
# state there.
KERNELS = ["bullseye", "bookworm", "trixie", "sid"]

# (feature, the integration test that shows it[, its runner in tests/integration])
FEATURES = [
    ("record -p, cpu mode: the split workload's shares", "known_split [python3.11 debian bookworm"),
    ("record -p: 1000- and 1500-frame stacks, whole or marked", "deep_stacks_kept_whole_or_marked"),
    ("record -p --mode wall: every thread's wall time", "wall_mode_accounts_for_every_thread"),
    ("record -p: late ticks (perf's throttle) count their periods", "late_ticks_count_the_time_they_stand_for"),
    ("record -p: the brake's samples carry the periods of those skipped", "braked_samples_count_the_periods_skipped"),
    ("record --gil", "gil_keeps_only_the_holder"),
    ("record --native: libz between Python frames", "native_frames_between_python_frames"),
    ("record --kernel: vfs_read below Python frames", "kernel_frames_below_python_frames"),
    ("record -a: a process started during it", "system_wide_sees_a_process_started_later"),
    ("record -- CMD: a command and its children", "launch_with_subprocesses"),
    ("dump: every thread of 3.11, 3.12, 3.14", "dump_every_thread"),
    ("record --async: tasks and their awaiters, 60/30/10", "record_async_task_shares [python3.11 debian bookworm"),
    ("record --async: a task that ends where a page never touched begins",
     "record_async_task_at_page_end [python3.11 debian bookworm"),
    # Before 6.2 a thread's RSS counts reach the mm (and rss_stat) in batches of 64 faults.
    ("record --mode memory: each line's growth", "memory_growth_by_line [python3.11 debian bookworm"),
    # Hash maps' lookup-and-delete came in 5.14: the per-process counts before it.
    ("record: lost samples counted per process", "ring_buffer_overflow_is_reported", "faults.py"),
]


def vm(suite, command, timeout):
    """Run COMMAND (a shell snippet) as root in SUITE's kernel: (status, output)."""
    # The build directory is shared writable: tests copy workloads into the
    # provisioned interpreters' trees and keep their files there.
    env = dict(os.environ, TIMEOUT=str(timeout), OUT=os.path.realpath(BUILD))
    result = subprocess.run([VM_RUN, suite, "--", "sh", "-c", command], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return result.returncode, result.stdout


def features(suite, pybpf, build, only=None):
    """The integration subset in SUITE's kernel (with ONLY, the checks whose
    test names contain one of them): (release, all passed, seconds)."""
    chosen = [f for f in FEATURES if not only or any(k in f[1] for k in only)]
    runners = {}
    for feature in chosen:
        runners.setdefault(feature[2] if len(feature) > 2 else "run.py", []).append(feature[1])
    # One boot: each runner with its tests, all run whatever one says.
    command = "uname -r; cd %s; status=0; " % ROOT + " ".join(
        "%s tests/integration/%s --pybpf %s --build %s %s 2>&1 || status=1;"
        % (PYTHON, runner, pybpf, build, " ".join("-k '%s'" % name for name in names))
        for runner, names in runners.items()) + " exit $status"
    start = time.monotonic()
    status, out = vm(suite, command, 1800)
    took = time.monotonic() - start
    lines = out.splitlines()
    # uname -r's line (a first run's provisioning prints before it).
    release = next((l for l in lines if re.fullmatch(r"\d+\.\d+\S*", l.strip())), "?")
    all_ok = status == 0
    for feature, name, *_ in chosen:
        line = next((l for l in lines if re.match(r"^(PASS|FAIL) " + re.escape(name), l)), None)
        verdict = line.split()[0] if line else "MISSING"
        all_ok &= verdict == "PASS"
        note = re.sub(r"^\S+ .*?\s{2,}", "", line) if line else ""
        print("kernel %-24s %-55s %s  %s" % (release, feature, verdict, note.strip()))
    if not all_ok:
        print("\n".join("    " + l for l in lines[-60:]))
    return release, all_ok, took


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pybpf", required=True)
    parser.add_argument("--build", default="build")
    parser.add_argument("--suite", action="append", help="only these suites (repeatable)")
    parser.add_argument("-k", action="append", dest="only",
                        help="only the checks whose test name contains this (repeatable)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("kernels: booting kernels and loading BPF need root")
    global BUILD
    build = BUILD = os.path.abspath(args.build)
    failed = 0
    # The guest sees the host's root but not this /tmp: a copy of pybpf
    # outside it, where the guest can read it.
    with tempfile.TemporaryDirectory(prefix="pybpf-kernels-", dir=build) as keep:
        pybpf = os.path.join(keep, "pybpf")
        shutil.copy(args.pybpf, pybpf)
        summary = []
        for suite in KERNELS:
            if args.suite and suite not in args.suite:
                continue
            release, ok, took = features(suite, pybpf, build, args.only)
            failed += not ok
            summary.append("kernel %-24s debian %-9s %s%s" % (
                release, suite, "pass" if ok else "FAIL", " (%.0f s)" % took if took else ""))
        print("\n".join(summary))
    print("kernels: %d of %d failed" % (failed, len(summary)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
