"""What faults.py's tests share: their registry, the output folder, pybpf
started and finished by hand."""
import json
import os
import subprocess
import threading
import time

import harness

PYTHON = "/usr/bin/python3.11"
TESTS = []

# capability(7) numbers of what privileges.h documents as kept.
CAPS = {"CAP_DAC_OVERRIDE": 1, "CAP_DAC_READ_SEARCH": 2, "CAP_FOWNER": 3, "CAP_KILL": 5,
        "CAP_SYS_PTRACE": 19, "CAP_SYSLOG": 34, "CAP_CHECKPOINT_RESTORE": 40}
KEPT = ("CAP_SYS_PTRACE", "CAP_CHECKPOINT_RESTORE", "CAP_DAC_READ_SEARCH", "CAP_DAC_OVERRIDE",
        "CAP_FOWNER")


def test(fn):
    TESTS.append((fn.__name__, fn, None))
    return fn


def tmp(name):
    return os.path.join(harness.TMP, name)


def pybpf_popen(args, **kwargs):
    return subprocess.Popen([harness.PYBPF] + [str(a) for a in args], stderr=subprocess.PIPE,
                            text=True, **kwargs)


def finish(proc, timeout=60):
    """Wait for a pybpf started by pybpf_popen: (stderr, peak RSS in MB, seconds waited)."""
    start = time.monotonic()
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    return err, usage.ru_maxrss / 1024, time.monotonic() - start


def warnings(err):
    return [l for l in err.splitlines() if l.startswith("pybpf: warning:")]


def record_two(first, second, ring_bytes, seconds, name):
    """Record processes FIRST and SECOND at 2 kHz through a ring of
    RING_BYTES: (the --stats figures, stderr, pybpf's peak RSS in MB)."""
    stats_path = tmp(name + ".stats")
    proc = pybpf_popen(["record", "-q", "-p", first, "-p", second, "-r", "2000", "-d", str(seconds),
                        "-o", tmp(name + ".json"), "--stats", stats_path],
                       env=dict(os.environ, PYBPF_LIMITS="ring_bytes=%d" % ring_bytes))
    err, peak_mb, _ = finish(proc)
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    with open(stats_path) as stats:
        return json.load(stats), err, peak_mb


def record_attached(pid, out):
    """pybpf record -p PID at 1 kHz into OUT, returned once it is attached
    (it has dropped its privileges), however long its start-up took."""
    proc = pybpf_popen(["record", "-p", pid, "-r", "1000", "-o", out])
    harness.wait_attached(proc)
    return proc
