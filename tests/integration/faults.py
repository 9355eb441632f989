#!/usr/bin/env python3
"""pybpf under faults (issue 8): real processes, the real BPF program, and
things going wrong.  Run as root:
    python3 tests/integration/faults.py --pybpf build/pybpf --build build

  - a zombie PID; a full disk while writing (old output kept, no temporary
    file left); the target SIGKILLed mid-recording; SIGHUP (profile written,
    BPF programs and links gone); a second SIGINT during a slow shutdown;
  - 1000 threads made and joined while sampled, with pybpf's peak RSS;
  - frames that change under the reader (unreadable frames counted, and the
    counts match the profile); a flooded ring buffer (losses reported, even
    with -q);
  - a hostile "Python" (tests/workloads/hostile.c) and real pythons with
    corrupt ELF section headers, alone and next to a real Python under -a;
  - the capabilities pybpf keeps while recording; the output's mode and
    owner, and a symlink planted at the output path; lowered memory limits.

The helpers (Workload, record, run_pybpf, expect_error...) are harness.py's;
the hostile targets' tests are in faults_hostile.py."""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time

import harness
from harness import (Workload, expect_error, main_profile, record, run_pybpf, stacks, status_field, validate, wait_for)
import faults_hostile  # noqa: F401  (registers its tests)
from faults_common import (CAPS, KEPT, PYTHON, TESTS, finish, pybpf_popen, record_attached, record_two, test, tmp,
                           warnings)


# ---- bad targets, stops and signals ------------------------------------------

@test
def zombie_pid():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        wait_for(lambda: open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z",
                 5, "the child to become a zombie")
        result = run_pybpf(["record", "-p", str(pid), "-o", tmp("zombie.json")])
    finally:
        os.waitpid(pid, 0)
    expect_error(result, r"no running process with PID %d \(check the PID" % pid)
    assert not os.path.exists(tmp("zombie.json"))


@test
def disk_full_keeps_the_old_output():
    mnt = tmp("full")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt], check=True)
    try:
        old = {"out.json": b'{"an": "older profile"}\n', "run.pybpf": b"PYBPFREC older"}
        for name, data in old.items():
            with open(os.path.join(mnt, name), "wb") as f:
                f.write(data)
        with open(os.path.join(mnt, "filler"), "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        with Workload(PYTHON, "split.py") as w:
            result = run_pybpf(["record", "-p", str(w.pid), "-d", "1", "-r", "1000", "-o",
                                os.path.join(mnt, "out.json"), "-o", os.path.join(mnt, "run.pybpf")])
        expect_error(result, r"writing .*/full/(out\.json|run\.pybpf) failed: No space left on device "
                             r"\(nothing was overwritten\)")
        for name, data in old.items():
            assert open(os.path.join(mnt, name), "rb").read() == data, name + " was changed"
        assert sorted(os.listdir(mnt)) == ["filler", "out.json", "run.pybpf"], os.listdir(mnt)
    finally:
        subprocess.run(["umount", mnt], check=True)
    return result.stderr.strip()


@test
def target_killed_mid_recording():
    out = tmp("killed.json")
    with Workload(PYTHON, "split.py") as w:
        proc = record_attached(w.pid, out)
        time.sleep(1.5)
        killed = time.monotonic()
        w.proc.kill()
        err, _, _ = finish(proc, timeout=20)
        stopped = time.monotonic() - killed
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    assert "(target exited)" in err and "(exited)" in err, err
    validate(out)
    doc = json.load(open(out, encoding="utf-8"))
    kept = sum(main_profile(doc, w.pid)["weights"]) / 1e9
    # 1.5 s of a busy process; the machine's other load may take most of it.
    assert kept > 0.1, "only %.2f s of samples kept" % kept
    # A bound against a hang, not a speed: a loaded machine may take seconds.
    assert stopped < 30, "pybpf took %.1f s to notice" % stopped
    return "%.2f s of samples kept, stopped %.2f s after the kill" % (kept, stopped)


def bpf_objects_of(pid):
    """The BPF program and link ids whose file descriptors PID holds."""
    found = {"prog": set(), "link": set()}
    fdinfo = "/proc/%d/fdinfo" % pid
    for fd in os.listdir(fdinfo):
        try:
            text = open(os.path.join(fdinfo, fd)).read()
        except OSError:
            continue
        for kind in found:
            m = re.search(r"^%s_id:\s+(\d+)" % kind, text, re.M)
            if m and (kind == "link" or "link_id" not in text):
                found[kind].add(int(m.group(1)))
    return found


def bpf_objects_loaded():
    found = {}
    for kind in ("prog", "link"):
        listing = subprocess.run(["bpftool", "-j", kind, "show"], capture_output=True, text=True, check=True)
        found[kind] = {o["id"] for o in json.loads(listing.stdout or "[]")}
    return found


@test
def sighup_writes_the_profile_and_detaches():
    out = tmp("hup.json")
    with Workload(PYTHON, "split.py") as w:
        # Attached: libbpf's probe programs, loaded and closed while it
        # starts, are gone; what pybpf holds now is what it runs.
        proc = record_attached(w.pid, out)
        mine = bpf_objects_of(proc.pid)
        assert mine["prog"] and mine["link"], mine
        harness.wait_cpu(w.pid, 0.3)
        loaded = bpf_objects_loaded()
        assert mine["prog"] <= loaded["prog"] and mine["link"] <= loaded["link"], (mine, loaded)
        proc.send_signal(signal.SIGHUP)
        err, _, _ = finish(proc, timeout=20)
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    assert "(Hangup)" in err, err
    validate(out)
    kept = sum(main_profile(json.load(open(out, encoding="utf-8")), w.pid)["weights"]) / 1e9
    assert kept > 0.1, "only %.2f s of samples kept" % kept
    # The kernel frees them once the last reference (pybpf's descriptors) is gone.
    left = wait_for(lambda: (lambda l: l if not (mine["prog"] & l["prog"] or mine["link"] & l["link"]) else None)(
        bpf_objects_loaded()), 5, "pybpf's programs %s and links %s to go" % (mine["prog"], mine["link"]))
    return "%.2f s of samples; programs %s and links %s gone" % (kept, sorted(mine["prog"]), sorted(mine["link"]))


@test
def second_sigint_during_a_slow_shutdown():
    # A terminal that no longer takes output (Ctrl-S, a stuck ssh) blocks
    # pybpf in its summary after the first Ctrl-C: the second must end it.
    out = tmp("twice.json")
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"x" * 4096)
    except BlockingIOError:
        pass
    os.set_blocking(write_end, True)
    try:
        with Workload(PYTHON, "split.py") as w:
            proc = subprocess.Popen([harness.PYBPF, "record", "-p", str(w.pid), "-o", out], stderr=write_end)
            wait_for(lambda: bpf_objects_of(proc.pid)["link"], 60, "pybpf to attach")
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            # Blocked writing the summary to stderr (system call 1, fd 2).
            wait_for(lambda: open("/proc/%d/syscall" % proc.pid).read().startswith("1 0x2 "),
                     60, "pybpf to block on stderr")
            sent = time.monotonic()
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
            took = time.monotonic() - sent
    finally:
        os.close(read_end)
        os.close(write_end)
    # Killed by the SIGINT itself: a shell reports 130, and a script loop stops.
    assert proc.returncode == -signal.SIGINT, "exit %d" % proc.returncode
    # A bound against a hang, not a speed: a loaded machine may take seconds.
    assert took < 30, "the second SIGINT took %.2f s" % took
    validate(out)        # written before the summary
    assert not [n for n in os.listdir(harness.TMP) if n.startswith(".pybpf-")], os.listdir(harness.TMP)
    return "ended %.0f ms after the second SIGINT, status %d" % (1000 * took, proc.returncode)


# ---- load --------------------------------------------------------------------

@test
def thousand_threads_come_and_go():
    counted = tmp("churn-threads.txt")
    out = tmp("thread-churn.json")
    with Workload(PYTHON, "thread_churn.py", counted, 0.5) as w:
        proc = pybpf_popen(["record", "-p", w.pid, "-r", "1000", "-o", out])
        # However loaded the machine is: until the last thread is gone.
        made = wait_for(lambda: os.path.exists(counted) and int(open(counted).read() or 0), 60,
                        "the workload's 1000 threads")
        proc.send_signal(signal.SIGINT)
        err, peak_mb, _ = finish(proc)
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    assert made == 1000, "the workload made %d threads" % made
    validate(out)
    doc = json.load(open(out, encoding="utf-8"))
    threads = [p for p in doc["profiles"] if "short_lived" in {f["name"] for fr, _ in stacks(doc, p) for f in fr}]
    assert len(threads) >= 100, "only %d of the 1000 threads were sampled" % len(threads)
    # Each thread costs a name and a few stacks: far below this.
    assert peak_mb < 64, "pybpf's peak RSS %.1f MB" % peak_mb
    return "%d thread profiles, peak RSS %.1f MB" % (len(threads), peak_mb)


def unknown_frames(doc, interval_ns):
    """[unknown] frames over every sample of the profile, as pybpf counts them."""
    n = 0
    for profile in doc["profiles"]:
        for frames, weight in stacks(doc, profile):
            n += sum(f["name"] == "[unknown]" for f in frames) * round(weight / interval_ns)
    return n


@test
def frames_that_change_under_the_reader():
    rate = 2000
    stats_path = tmp("torn.stats")
    with Workload(PYTHON, "torn.py") as w:
        doc, err = record(w.pid, seconds=3, rate=rate, name="torn", extra=["--stats", stats_path])
    st = json.load(open(stats_path))
    m = re.search(r"samples (\d+), lost (\d+) \(ring buffer full\), failed reads (\d+), unresolved frames (\d+)", err)
    assert m, err
    assert [int(x) for x in m.groups()] == [st["samples"], st["lost"], st["read_errors"], st["unresolved_frames"]], (
        m.groups(), st)
    (proc,) = st["processes"]
    assert proc["unresolved_frames"] == st["unresolved_frames"] and proc["frames"] > 0, st
    # Every frame pybpf could not read is in the profile as [unknown], and counted.
    in_profile = unknown_frames(doc, 1e9 / rate)
    assert in_profile == st["unresolved_frames"], "%d [unknown] frames in the profile, %d counted" % (
        in_profile, st["unresolved_frames"])
    # Its code objects live one call: named from the kernel's reports.
    assert st["codes_reported"] >= 100, "%d code objects reported" % st["codes_reported"]
    # A few, not most: the rest of the stacks are right.
    assert proc["unresolved_frames"] * 2 < proc["frames"], proc
    assert not warnings(err), warnings(err)
    return "%d samples, %d frames, %d unresolved, %d samples with failed reads" % (
        st["samples"], proc["frames"], st["unresolved_frames"], st["read_errors"])


@test
def ring_buffer_overflow_is_reported():
    # Two stacks 1000 frames deep (16 KB a sample) at 2 kHz, into a ring
    # buffer of 16 KB: one sample fits between two drains 10 ms apart, where
    # about 40 arrive, whatever the speed of the machine.  (At 100 kHz a VM
    # can spend all its time in timer interrupts: not a test of pybpf.)
    with Workload(PYTHON, "deep.py", 1000) as a, Workload(PYTHON, "deep.py", 1000) as b:
        st, err, peak_mb = record_two(a.pid, b.pid, 16384, 2, "flood")
    assert st["lost"] > 0, "nothing was lost: %s" % st
    # Per process, too: every lost sample belongs to one of them.
    assert sum(p["lost"] for p in st["processes"]) == st["lost"], st
    # On a slow machine the 1000-frame stacks may also engage the brake,
    # which says so: a warning of its own, allowed.
    lines = [l for l in warnings(err) if not re.search(r"was sampled less, down to 1 in \d+ samples", l)]
    assert len(lines) == 1, warnings(err)
    (line,) = lines
    m = re.fullmatch(r"pybpf: warning: (\d+) samples \(([\d.]+)%\) were lost because the ring buffer was full: "
                     r"lower the rate \(-r\)", line)
    assert m and int(m.group(1)) == st["lost"], line
    validate(tmp("flood.json"))
    return "%d samples kept, %d lost (%s%%), peak RSS %.1f MB" % (st["samples"], st["lost"], m.group(2), peak_mb)


# ---- privileges and the output file ----------------------------------------

def cap_mask(names):
    return sum(1 << CAPS[n] for n in names)


def caps_while_recording(args):
    proc = pybpf_popen(["record", "-r", "1000"] + args)
    try:
        wait_for(lambda: status_field(proc.pid, "NoNewPrivs") == "1", 60, "pybpf to drop its capabilities")
        found = {f: int(status_field(proc.pid, f), 16) for f in ("CapEff", "CapPrm", "CapInh", "CapAmb")}
        found.update({f: status_field(proc.pid, f).split() for f in ("Uid", "Gid", "Groups")})
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    err, _, _ = finish(proc)
    return found, proc.returncode, err


@test
def capabilities_while_recording():
    nobody_dir = tmp("nobody-python")
    os.makedirs(nobody_dir)
    private = os.path.join(nobody_dir, "python3.11")
    shutil.copy(PYTHON, private)
    os.chmod(private, 0o700)         # only its owner may read it
    os.chown(private, 65534, 65534)
    os.chmod(nobody_dir, 0o700)
    os.chown(nobody_dir, 65534, 65534)
    workloads = harness.Interpreter("", PYTHON).script_dir()[0]
    with Workload(PYTHON, "split.py") as w:
        found, rc, err = caps_while_recording(["-p", str(w.pid), "-d", "2", "-o", tmp("caps.json")])
    assert rc == 0, err
    assert found["CapEff"] == found["CapPrm"] == cap_mask(KEPT), {k: hex(v) for k, v in found.items()}
    assert found["CapInh"] == found["CapAmb"] == 0, found
    # Root no more: nobody, with no groups, from the moment targets are read.
    assert found["Uid"] == found["Gid"] == ["65534"] * 4 and found["Groups"] == [], found
    # What is kept is enough: -a finds, after the drop, a chrooted 3.14 (map_files)
    # and a python only its owner (nobody) may read, running as nobody.
    late = {}

    def start_late():
        time.sleep(1)
        late["sid"] = Workload(harness.sid("3.14"), "named.py", "hot_gamma").__enter__()
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", private,
                os.path.join(workloads, "named.py"), "hot_alpha"]
        late["nobody"] = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert late["nobody"].stdout.readline().strip() == "ready"

    try:
        doc, err = harness.record_all(4, during=start_late)
    finally:
        late["sid"].__exit__(None)
        late["nobody"].kill()
        late["nobody"].wait()
    found_pids = harness.processes_in(doc)
    harness.hot(found_pids, late["sid"].pid, "hot_gamma")
    harness.hot(found_pids, late["nobody"].pid, "hot_alpha")
    launched, rc, err = caps_while_recording(["-o", tmp("caps-launch.json"), "--", PYTHON, "-c",
                                              "import time; time.sleep(2)"])
    assert rc == 0, err
    assert launched["CapEff"] == cap_mask(KEPT + ("CAP_KILL",)), hex(launched["CapEff"])
    return "uid/gid 65534, CapEff %#x (%s), +CAP_KILL with -- CMD" % (found["CapEff"], ", ".join(KEPT))


@test
def planted_symlink_is_not_followed():
    # A directory an unprivileged user (nobody) controls; pybpf runs as root.
    d = tmp("planted")
    os.makedirs(d)
    os.chown(d, 65534, 65534)
    victims = {}
    for name in ("victim", "victim-stats"):
        victims[name] = tmp(name)
        with open(victims[name], "w") as f:
            f.write("root's own file\n")
    for link, target in (("out.json", "victim"), ("stats.json", "victim-stats")):
        subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "ln", "-s",
                        victims[target], os.path.join(d, link)], check=True)
    notes = []
    for label, env, umask, mode, owner in (("root", {}, 0o022, 0o644, (0, 0)),
                                           ("sudo", {"SUDO_UID": "65534", "SUDO_GID": "65534"}, 0o022, 0o644,
                                            (65534, 65534)),
                                           ("umask 077", {}, 0o077, 0o600, (0, 0))):
        with Workload(PYTHON, "split.py") as w:
            result = subprocess.run([harness.PYBPF, "record", "-q", "-p", str(w.pid), "-d", "1",
                                     "-o", os.path.join(d, "out.json"), "--stats", os.path.join(d, "stats.json")],
                                    capture_output=True, text=True, timeout=60,
                                    env=dict(os.environ, **env), preexec_fn=lambda u=umask: os.umask(u))
        assert result.returncode == 0, result.stderr
        for name, path in victims.items():
            assert open(path).read() == "root's own file\n", "%s was written through the link" % name
        for name in ("out.json", "stats.json"):
            st = os.lstat(os.path.join(d, name))
            assert stat.S_ISREG(st.st_mode), "%s is still a link" % name
            assert stat.S_IMODE(st.st_mode) == mode, "%s: %s has mode %o" % (label, name, stat.S_IMODE(st.st_mode))
            assert (st.st_uid, st.st_gid) == owner, "%s: %s owned by %s" % (label, name, (st.st_uid, st.st_gid))
        validate(os.path.join(d, "out.json"))
        json.load(open(os.path.join(d, "stats.json")))
        notes.append("%s: %o %d:%d" % (label, mode, *owner))
        # Plant the links again for the next round.
        for link, target in (("out.json", "victim"), ("stats.json", "victim-stats")):
            os.unlink(os.path.join(d, link))
            subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "ln", "-s",
                            victims[target], os.path.join(d, link)], check=True)
    assert not [n for n in os.listdir(d) if n.startswith(".pybpf-")], os.listdir(d)
    return "; ".join(notes)


# ---- memory limits -----------------------------------------------------------

@test
def lowered_limits_are_reported():
    stats_path = tmp("limits.stats")
    rate = 1000
    with Workload(PYTHON, "churn.py", tmp("limits-churn.txt")) as c, \
            Workload(PYTHON, "thread_churn.py", tmp("limits-threads.txt"), 0.3) as t:
        doc, err = record(c.pid, seconds=3, rate=rate, name="limits",
                          extra=["-p", str(t.pid), "--stats", stats_path, "-q"],
                          env={"PYBPF_LIMITS": "code_objects=50,stacks=40,threads=8"})
    over = json.load(open(stats_path))["limits"]
    st = json.load(open(stats_path))
    for name in ("code_cache_flushes", "stacks", "threads"):
        assert over[name] > 0, "%s never overflowed: %s" % (name, over)
    (line,) = [l for l in warnings(err) if "memory limits reached" in l]
    for text in ("code-object cache flushed %d time" % over["code_cache_flushes"],
                 "%d samples under [stack table full]" % over["stacks"],
                 "%d threads under [other threads]" % over["threads"]):
        assert text in line, (text, line)
    # Nothing is lost past a limit: every sample is still in the profile.
    # A sample weighs a period, or more for a late tick (a loaded machine).
    total = sum(sum(p["weights"]) for p in doc["profiles"]) / (1e9 / rate)
    samples = sum(p["samples"] for p in st["processes"])
    assert samples <= round(total) <= 1.5 * samples, (total, st["processes"])
    full = sum(w for p in doc["profiles"] for frames, w in stacks(doc, p)
               if [f["name"] for f in frames] == ["[stack table full]"]) / (1e9 / rate)
    assert over["stacks"] <= round(full) <= 1.5 * over["stacks"], (full, over)
    assert any("[other threads]" in p["name"] for p in doc["profiles"])
    # A command whose two forked workers come after the one process allowed.
    launched = subprocess.run([harness.PYBPF, "record", "-q", "--subprocesses", "-o", tmp("limits-cmd.json"),
                               "--stats", stats_path, "--", PYTHON, os.path.join(harness.WORKLOADS, "workers.py"),
                               "1", "fork"], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PYBPF_LIMITS="processes=1"))
    assert launched.returncode == 3, launched.stderr
    st = json.load(open(stats_path))
    assert len(st["processes"]) == 1 and st["limits"]["processes"] == 2, st
    assert "2 processes not profiled" in launched.stderr, launched.stderr
    bad = run_pybpf(["record", "-p", "1", "-o", tmp("x.json")], env=dict(os.environ, PYBPF_LIMITS="stacks=lots"))
    expect_error(bad, r"PYBPF_LIMITS: 'stacks=lots' is not NAME=N")
    return "overflows %s; 2 forked workers past processes=1" % over


if __name__ == "__main__":
    harness.main(tests=TESTS, matrix=[], suite="faults")
