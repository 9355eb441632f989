"""faults.py's hostile and broken targets: a hostile "Python"
(tests/workloads/hostile.c) and real pythons with corrupt ELF section
headers, alone and next to a real Python under -a."""
import json
import os
import random
import struct
import subprocess
import time

import harness
from harness import (Interpreter, Workload, expect_error, main_profile, run_pybpf, stacks, validate)
from faults_common import (PYTHON, finish, pybpf_popen, test, tmp, warnings, record_two)


# ---- hostile and broken targets ----------------------------------------------

class Native(Workload):
    """A program that is no Python script (a hostile binary, a corrupt python): no script argument."""

    def __init__(self, argv):
        self.argv = [str(a) for a in argv]


def hostile_target(minor):
    return Native([os.path.join(harness.BUILD, "hostile"), minor])


@test
def hostile_target_is_contained():
    notes = []
    for minor in (11, 12):
        stats_path = tmp("hostile-%d.stats" % minor)
        with hostile_target(minor) as h:
            proc = pybpf_popen(["record", "-p", h.pid, "-r", "1000", "-d", "3",
                                "-o", tmp("hostile.json"), "--stats", stats_path])
            err, peak_mb, took = finish(proc)
            dump = run_pybpf(["dump", "-p", str(h.pid), "--json"], timeout=30)
        assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
        validate(tmp("hostile.json"))
        st = json.load(open(stats_path))
        (p,) = st["processes"]
        assert p["python"] == "3.%d.4" % minor and p["samples"] > 0, st
        # Its stacks are torn or unreadable, its frames [unknown], and pybpf
        # says so, about that process.
        broken = p["incomplete"]["torn"] + p["incomplete"]["unreadable"]
        assert broken * 2 > p["samples"] or p["unresolved_frames"] * 2 > p["frames"], p
        unreadable = [l for l in warnings(err) if "could not be read" in l]
        assert len(unreadable) == 1 and "PID %d " % h.pid in unreadable[0], warnings(err)
        # 4096 code objects claim 1 MB line tables each: the cache stays bounded.
        assert st["limits"]["code_cache_flushes"] > 0, st["limits"]
        assert peak_mb < 128, "peak RSS %.1f MB" % peak_mb
        assert took < 3 + 30, "took %.1f s" % took      # a bound against a hang
        # dump walks the same cycles from userspace, and ends.
        assert dump.returncode in (0, 1) and "Traceback" not in dump.stderr, dump
        notes.append("3.%d: %d samples, %d%% marked incomplete, %d%% of frames unreadable, %d flushes, peak %.0f MB, %.1f s" % (
            minor, p["samples"], 100 * broken // p["samples"], 100 * p["unresolved_frames"] // max(p["frames"], 1),
            st["limits"]["code_cache_flushes"], peak_mb, took))
    return "; ".join(notes)


@test
def hostile_loops_cost_a_bounded_sample():
    """A thread list that loops on itself (a thread state with no thread,
    its next itself, in an interpreter whose next is itself), and chains of
    two frames pages apart linking to each other: each sample stays within
    the read budget, the loops are found, and pybpf says what it saw."""
    notes = []
    for minor in (11, 12):
        for mode in ("selflink", "framecycle"):
            stats_path = tmp("loops-%s-%d.stats" % (mode, minor))
            with Native([os.path.join(harness.BUILD, "hostile"), minor, mode]) as h:
                proc = pybpf_popen(["record", "-p", h.pid, "-r", "1000", "-d", "2",
                                    "-o", tmp("loops.json"), "--stats", stats_path])
                err, peak_mb, took = finish(proc)
            assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
            st = json.load(open(stats_path))
            (p,) = st["processes"]
            # A count, not a time: what no memory can push past.
            assert 0 < st["bpf_max_reads"] <= st["read_budget"], st
            about = [l for l in warnings(err) if "PID %d " % h.pid in l]
            if mode == "selflink":
                # No thread is ever found: no stacks, one warning.
                assert p["samples"] == 0 and p["idle"] > 0, p
                assert len(about) == 1 and "had a Python stack" in about[0], warnings(err)
            else:
                # Every stack is marked, as the rule it broke says, never shown whole.
                rules = p["incomplete"]["torn_by_rule"]
                assert p["incomplete"]["torn"] == p["samples"] > 0, p
                assert rules["spacing"] + rules["cycle"] + rules["cframe"] + rules["base"] == p["samples"], p
                assert len(about) == 1 and "could not be read" in about[0], warnings(err)
            assert took < 2 + 30, "took %.1f s" % took      # a bound against a hang
            notes.append("3.%d %s: %d reads at most, %.0f us at most" % (
                minor, mode, st["bpf_max_reads"], st["bpf_max_sample_ns"] / 1000))
    return "; ".join(notes)


@test
def ring_flood_leaves_others_their_samples():
    """One process floods the ring buffer (eight threads 1000 frames deep:
    16 KB a sample) while another one is profiled: past half full, the
    flooder loses its samples first, and the other keeps its own."""
    with Workload(PYTHON, "deep_threads.py", 8, 1000) as flood, Workload(PYTHON, "split.py") as quiet:
        st, _, _ = record_two(flood.pid, quiet.pid, 131072, 3, "fair")
    by_pid = {p["pid"]: p for p in st["processes"]}
    lost_flood, q = by_pid[flood.pid]["lost"], by_pid[quiet.pid]
    assert lost_flood > 0 and st["unfair"] > 0, "no flood: %s" % st
    assert q["lost"] <= 0.05 * (q["samples"] + q["lost"]), \
        "the quiet process lost %d of %d samples to the flood" % (q["lost"], q["samples"] + q["lost"])
    return "flooder lost %d; the other kept %d and lost %d" % (lost_flood, q["samples"], q["lost"])


CORRUPT = {}


def corrupt_pythons():
    """Copies of Debian's python3.11 whose section headers lie, each in its own directory."""
    if CORRUPT:
        return CORRUPT
    with open(PYTHON, "rb") as f:
        image = bytearray(f.read())
    shoff, = struct.unpack_from("<Q", image, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", image, 0x3a)
    variants = {}

    def variant(name, mutate):
        data = bytearray(image)
        mutate(data)
        d = tmp("elf-" + name)
        os.makedirs(d)
        path = os.path.join(d, "python3.11")
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, 0o755)
        variants[name] = path

    def garbage(data):
        rng = random.Random(8)
        for i in range(shoff, shoff + shentsize * shnum):
            data[i] = rng.randrange(256)

    def huge(data):
        for i in range(shnum):
            at = shoff + i * shentsize
            struct.pack_into("<QQIIQQ", data, at + 0x18, len(data) - 8, 1 << 62, 9999, 0, 1, 1)

    def beyond(data):
        struct.pack_into("<QHHH", data, 0x28, 1 << 40, 0, 0, 0)
        struct.pack_into("<HHH", data, 0x3a, shentsize, 0xffff, 0xfffe)

    def lying(data):
        # .dynsym's _PyRuntime moved onto PyCode_Type: the runtime is somewhere else.
        for i in range(shnum):
            at = shoff + i * shentsize
            sh_type, = struct.unpack_from("<I", data, at + 4)
            if sh_type != 11:        # SHT_DYNSYM
                continue
            off, size, link = struct.unpack_from("<QQI", data, at + 0x18)
            str_off, = struct.unpack_from("<Q", data, shoff + link * shentsize + 0x18)
            values = {}
            for s in range(off, off + size, 24):
                name_at, = struct.unpack_from("<I", data, s)
                end = data.index(b"\0", str_off + name_at)
                values[bytes(data[str_off + name_at:end])] = s
            code_type, = struct.unpack_from("<Q", data, values[b"PyCode_Type"] + 8)
            struct.pack_into("<Q", data, values[b"_PyRuntime"] + 8, code_type)

    for name, mutate in (("garbage", garbage), ("huge", huge), ("beyond", beyond), ("lying", lying)):
        variant(name, mutate)
    CORRUPT.update(variants)
    return CORRUPT


@test
def corrupt_elf_is_refused_alone():
    notes = []
    for name, python in corrupt_pythons().items():
        with Workload(Interpreter("corrupt ELF", python), "split.py") as w:
            start = time.monotonic()
            proc = pybpf_popen(["record", "-p", w.pid, "-r", "1000", "-d", "2", "-o", tmp("corrupt.json")])
            err, peak_mb, took = finish(proc)
        assert "Traceback" not in err and proc.returncode in (0, 1), (name, proc.returncode, err)
        if proc.returncode == 1:
            expect_error(subprocess.CompletedProcess([], 1, "", err),
                         r"PID %d \(python3.11\) is not a Python process" % w.pid)
        else:
            # Symbols that lie send pybpf to the wrong runtime: it finds no stack, and says so.
            assert name == "lying", (name, err)
            (line,) = warnings(err)
            assert "PID %d " % w.pid in line and "had a Python stack" in line, line
        assert peak_mb < 64 and took < 2 + 30, (name, peak_mb, took)   # took: against a hang
        notes.append("%s: exit %d%s, peak %.0f MB" % (name, proc.returncode,
                                                      " (%s)" % err.split(": ")[-1][:40] if proc.returncode else "",
                                                      peak_mb))
    return "; ".join(notes)


@test
def hostile_neighbours_leave_a_real_python_alone():
    pythons = corrupt_pythons()
    with hostile_target(11) as h11, hostile_target(12) as h12, \
            Workload(Interpreter("corrupt ELF", pythons["garbage"]), "named.py", "hot_beta") as bad, \
            Workload(Interpreter("corrupt ELF", pythons["lying"]), "named.py", "hot_delta") as lying, \
            Workload(PYTHON, "named.py", "hot_alpha") as good:
        out, stats_path = tmp("neighbours.json"), tmp("neighbours.stats")
        outside = harness.cpu_seconds(good.pid)
        proc = pybpf_popen(["record", "-a", "-r", "1000", "-d", "3", "-o", out, "--stats", stats_path])
        err, peak_mb, took = finish(proc)
        outside = harness.cpu_seconds(good.pid) - outside
    assert proc.returncode == 0, "exit %d: %s" % (proc.returncode, err)
    validate(out)
    doc = json.load(open(out, encoding="utf-8"))
    hot = unknown = total = 0
    for frames, weight in stacks(doc, main_profile(doc, good.pid)):
        names = [f["name"] for f in frames]
        total += weight
        hot += weight * ("hot_alpha" in names)
        unknown += weight * ("[unknown]" in names)
    # Its samples stand for the CPU time it had while sampled, all of them
    # right.  Those its hostile neighbours' floods pushed out of the ring
    # buffer (when pybpf is slow, under ASan) are counted, never silent.
    good_stats = [p for p in json.load(open(stats_path))["processes"] if p["pid"] == good.pid]
    assert len(good_stats) == 1, "no stats for the real Python"
    lost, cpu = good_stats[0]["lost"] / 1000, good_stats[0]["cpu_s"]
    # The CPU time it had while sampled, as pybpf measured it: within what it had in all.
    assert 0 < cpu <= outside + 0.02, "sampled for %.2f s of CPU of %.2f s" % (cpu, outside)
    assert total / 1e9 + lost > 0.7 * cpu, "the real Python ran %.2f s, %.2f s sampled, %.2f s lost" % (
        cpu, total / 1e9, lost)
    assert hot >= 0.95 * total and not unknown, "real Python: %d%% in hot_alpha, %d%% [unknown]" % (
        100 * hot // total, 100 * unknown // total)
    about = lambda pid: [l for l in warnings(err) if "PID %d " % pid in l]
    for pid, what in ((h11.pid, "could not be read"), (h12.pid, "could not be read"),
                      (lying.pid, "had a Python stack"), (good.pid, None), (bad.pid, None)):
        assert [what in l for l in about(pid)] == ([True] if what else []), (pid, what, warnings(err))
    # Ends soon after -d 3 whatever its neighbours do: a bound against a
    # hang, with room for ASan's slower exit (not a speed target).
    assert peak_mb < 160 and took < 3 + 30, (peak_mb, took)
    return "real Python: %.2f s sampled and %.2f s lost of %.2f s run, all in hot_alpha; peak RSS %.0f MB; %s" % (
        total / 1e9, lost, cpu, peak_mb, " | ".join(l[len("pybpf: warning: "):][:70] for l in warnings(err)))
