"""Stopping, and bad input."""
import collections
import json
import os
import re
import signal
import subprocess
import time

import harness
from harness import (Skip, Workload, expect_error, free_pid, main_profile, record, run_pybpf, stacks, test, validate, wait_attached, wait_cpu)


# ---- stopping, and bad input ------------------------------------------------

@test
def target_that_execs_is_still_profiled():
    with Workload("/usr/bin/python3.11", "exec_self.py") as w:
        out = os.path.join(harness.TMP, "exec.json")
        proc = subprocess.Popen([harness.PYBPF, "record", "-p", str(w.pid), "-r", "1000", "-o", out],
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
    with Workload("/usr/bin/python3.11", "short_lived.py", 1.5, "--after-usr1") as w:
        doc, err = record(w.pid, seconds=0, name="exits", started=lambda: os.kill(w.pid, signal.SIGUSR1))
    assert "target exited" in err, err
    names = {f["name"] for frames, _ in stacks(doc, main_profile(doc, w.pid)) for f in frames}
    assert "busy_until" in names


def stop_with(sig):
    with Workload("/usr/bin/python3.11", "split.py") as w:
        out = os.path.join(harness.TMP, "signal-%d.json" % sig)
        stats_path = os.path.join(harness.TMP, "signal-%d.stats.json" % sig)
        proc = subprocess.Popen([harness.PYBPF, "record", "-p", str(w.pid), "-r", "1000", "-o", out,
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


@test
def error_no_such_pid():
    expect_error(run_pybpf(["record", "-p", str(free_pid()), "-o", os.path.join(harness.TMP, "x.json")]),
                 r"no running process with PID \d+")


@test
def error_not_python():
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        expect_error(run_pybpf(["record", "-p", str(sleeper.pid), "-o", os.path.join(harness.TMP, "x.json")]),
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
        expect_error(run_pybpf(["record", "-p", str(w.pid), "-o", os.path.join(harness.TMP, "x.json")]),
                     r"runs Python 3\.7\.16, which this pybpf does not support yet \(supported: 3\.8-3\.1\d\)")


@test
def error_not_root():
    result = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                             "--inh-caps=-all", harness.PYBPF, "record", "-p", "1", "-o", "/tmp/x.json"],
                            capture_output=True, text=True, timeout=30)
    expect_error(result, r"missing capabilities CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE .*run pybpf as root")


@test
def error_no_btf():
    with Workload("/usr/bin/python3.11", "short_lived.py", 30) as w:
        expect_error(run_pybpf(["record", "-p", str(w.pid), "--btf", "/nonexistent/vmlinux",
                                "-o", os.path.join(harness.TMP, "x.json")]),
                     r"cannot read the BTF file /nonexistent/vmlinux")


@test
def error_kernel_without_ring_buffers():
    """The refusal a kernel before 5.8 gets, here with the probe told BPF
    ring buffers are missing."""
    with Workload("/usr/bin/python3.11", "short_lived.py", 30) as w:
        out = os.path.join(harness.TMP, "no-ringbuf.json")
        expect_error(run_pybpf(["record", "-p", str(w.pid), "-o", out],
                               env=dict(os.environ, PYBPF_KERNEL_FEATURES="-bpf_loop,-ringbuf")),
                     r"^pybpf: error: this kernel \(Linux \S+\) lacks BPF ring buffers \(BPF_MAP_TYPE_RINGBUF\), "
                     r"added in Linux 5\.8 \(.*\): run pybpf on Linux 5\.8 or newer$")
        assert not os.path.exists(out), "nothing recorded, nothing written"


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
