"""Profiles of real workloads on every interpreter, and 3.13+ layouts from the
runtime's own _Py_DebugOffsets."""
import collections
import os
import re
import signal
import subprocess

import harness
from harness import (UNICODE_FILE, WORKLOADS, Workload, expect_error, leaf_lines, line_of, main_profile, marked, per_interpreter, record, record_counting_cpu, run_pybpf, sid, stacks, test)


# ---- profiles of real workloads --------------------------------------------

@per_interpreter
def known_split(interp):
    seconds, interval = 3, 1e9 / 1000
    with Workload(interp, "split.py") as w:
        doc, _, cpu, _ = record_counting_cpu(w.pid, seconds=seconds, name="split", interp=interp)
    profile = main_profile(doc, w.pid)
    hot = {"leaf_a": line_of("split.py", "HOT-A"), "leaf_b": line_of("split.py", "HOT-B"),
           "leaf_c": line_of("split.py", "HOT-C")}
    loop = {leaf: line_of("split.py", "LOOP-" + leaf[-1].upper()) for leaf in hot}
    call = {"leaf_a": line_of("split.py", "CALL-A"), "leaf_b": line_of("split.py", "CALL-B"),
            "leaf_c": line_of("split.py", "CALL-C")}
    module_line = max(n for n, l in enumerate(open(os.path.join(WORKLOADS, "split.py")), 1)
                      if l.strip() == "main()")
    leaf_weight = collections.Counter()
    total = off_line = on_hot = on_loop = 0
    for frames, weight in stacks(doc, profile):
        total += weight
        leaf = frames[-1]["name"]
        if leaf not in hot:
            continue
        expected = [("<module>", module_line), ("main", call[leaf])] + \
            [("recurse", line_of("split.py", "CALL-RECURSE"))] * 20 + \
            [("recurse", line_of("split.py", "CALL-LEAF"))]
        got = [(f["name"], f.get("line")) for f in frames[:-1]]
        if marked(frames):
            # What an incomplete stack shows is still the innermost part of the real one.
            assert got[1:] == expected[len(expected) - len(got) + 1:], "marked stack %s" % got
        else:
            assert got == expected, "wrong prefix for %s: %s" % (leaf, got)
        leaf_weight[leaf] += weight
        if frames[-1]["line"] == hot[leaf]:
            on_hot += weight
        elif frames[-1]["line"] == loop[leaf]:
            on_loop += weight
        elif frames[-1]["line"] not in leaf_lines(leaf):
            off_line += weight
        assert frames[-1]["file"].endswith("split.py")
    samples = total / interval
    # A sample per millisecond of its CPU time, however much the machine gave
    # it: on a loaded machine the timer's ticks fall on its time slices
    # unevenly (12% over was seen), so the upper bound only catches samples
    # counted twice.
    assert 0.5 * cpu * 1000 <= samples <= 1.25 * cpu * 1000 + 50, "%d samples, %.2f s of CPU" % (samples, cpu)
    in_leaves = sum(leaf_weight.values())
    assert in_leaves >= 0.9 * total, "only %.1f%% of samples in leaves" % (100 * in_leaves / total)
    # A leaf runs its HOT and LOOP lines only; the split between them is the machine's.
    assert off_line == 0, "%d leaf samples on lines not the leaf's" % (off_line / interval)
    assert on_hot > on_loop, "more leaf samples on the clock read than on the hot loop: %d vs %d" % (on_loop, on_hot)
    for leaf, truth in (("leaf_a", 60), ("leaf_b", 30), ("leaf_c", 10)):
        share = 100 * leaf_weight[leaf] / in_leaves
        assert abs(share - truth) <= 3, "%s: %.1f%% vs %d%%" % (leaf, share, truth)
    return "%d samples, shares a/b/c %.1f/%.1f/%.1f" % (
        samples, *(100 * leaf_weight[l] / in_leaves for l in ("leaf_a", "leaf_b", "leaf_c")))


@per_interpreter
def threads_apart(interp):
    with Workload(interp, "threads.py") as w:
        doc, _ = record(w.pid, seconds=2, name="threads", interp=interp)
    workers = ("worker_alpha", "worker_beta", "worker_gamma")
    owner = {}
    tids = set()
    for profile in doc["profiles"]:
        m = re.search(r"\[pid (\d+), Python [^]]+\] thread (\d+) \(", profile["name"])
        assert m and int(m.group(1)) == w.pid, "profile name %r lacks pid/tid" % profile["name"]
        tids.add(int(m.group(2)))
        seen = {f["name"] for frames, _ in stacks(doc, profile) for f in frames} & set(workers)
        assert len(seen) <= 1, "one thread's profile mixes %s" % seen
        for name in seen:
            assert name not in owner, "%s appears in two threads" % name
            owner[name] = int(m.group(2))
    assert set(owner) == set(workers), "workers found: %s" % owner
    assert len(set(owner.values())) == 3 and w.pid not in owner.values()
    return "%d thread profiles" % len(doc["profiles"])


@per_interpreter
def code_object_churn(interp):
    host_dir, seen_dir = interp.script_dir()
    with Workload(interp, "churn.py", os.path.join(seen_dir, "churn-stats.txt")) as w:
        doc, _ = record(w.pid, seconds=3, name="churn", interp=interp)
        w.proc.send_signal(signal.SIGTERM)
        w.proc.wait(timeout=10)
    made, distinct = map(int, open(os.path.join(host_dir, "churn-stats.txt")).read().split())
    assert made >= 2000, "only %d functions made" % made
    assert distinct <= made // 2, "code addresses were not reused (%d of %d)" % (distinct, made)
    checked = unresolved = 0
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        names = [f["name"] for f in frames]
        if names[-1] not in ("spin_even", "spin_odd") or marked(frames) and len(frames) < 3:
            continue
        parent = frames[-2]
        if parent["name"] == "[unknown]":
            unresolved += 1
            continue
        m = re.fullmatch(r"f_(\d{6})", parent["name"])
        assert m, "unexpected caller %s of %s" % (parent["name"], names[-1])
        n = int(m.group(1))
        assert parent["file"] == "<churn-%d>" % n, "%s attributed to file %s" % (parent["name"], parent["file"])
        assert names[-1] == ("spin_even" if n % 2 == 0 else "spin_odd"), \
            "%s misattributed: calls %s" % (parent["name"], names[-1])
        assert parent["line"] == (2 if n % 2 == 0 else 3), "%s at line %s" % (parent["name"], parent["line"])
        checked += 1
    assert checked >= 500, "only %d churned frames resolved (%d unresolved)" % (checked, unresolved)
    return "%d functions, %d addresses, %d frames checked, %d unresolved" % (made, distinct, checked, unresolved)


@per_interpreter
def unicode_names(interp):
    with Workload(interp, UNICODE_FILE) as w:
        doc, _, cpu, _ = record_counting_cpu(w.pid, seconds=2, name="unicode", interp=interp)
    chains = collections.Counter()
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        chains[tuple((f["name"], os.path.basename(f["file"]), f.get("line")) for f in frames)] += weight
    # One busy thread: most of its CPU time must be there, not lost to failed reads.
    assert sum(chains.values()) >= 0.5 * cpu * 1e9, "only %.2f s of samples of %.2f s of CPU: %s" % (
        sum(chains.values()) / 1e9, cpu, chains.most_common(3))
    top = tuple(f[:2] for f in chains.most_common(1)[0][0])
    expected = tuple((name, UNICODE_FILE) for name in ("<module>", "main", "𠀀𠀁", "函数", "fünf"))
    assert top == expected, "top stacks %s" % (chains.most_common(3),)


@per_interpreter
def generator_and_coroutine(interp):
    with Workload(interp, "generators.py") as w:
        doc, _ = record(w.pid, seconds=2, name="generators", interp=interp)
    weight = collections.Counter()
    for frames, w_ in stacks(doc, main_profile(doc, w.pid)):
        weight[tuple((f["name"], f.get("line")) for f in frames[-2:])] += w_
    gen = (("drive", line_of("generators.py", "GEN-RESUME")), ("numbers", line_of("generators.py", "GEN-HOT")))
    coro = (("drive", line_of("generators.py", "CORO-RESUME")), ("crunch", line_of("generators.py", "CORO-HOT")))
    total = sum(weight.values())
    for chain in (gen, coro):
        share = 100 * weight[chain] / total
        assert 35 <= share <= 65, "%s has %.1f%% of samples: %s" % (chain, share, weight.most_common(4))


# ---- 3.13+: layouts from the runtime's own _Py_DebugOffsets ----------------

def leaf_names(doc, pid):
    weight = collections.Counter()
    for frames, w in stacks(doc, main_profile(doc, pid)):
        weight[frames[-1]["name"]] += w
    return weight


@test
def debug_offsets_are_used_from_313():
    # The built-in 3.13+ entries hold no struct offsets (a unit test checks
    # that), so these profiles are right only because the runtime's were used.
    for version in ("3.13", "3.14", "3.15"):
        interp = sid(version)
        interp.available()
        with Workload(interp, "split.py") as w:
            doc, err = record(w.pid, seconds=1, name="dbgoff", extra=["-v"])
        assert "layout from _Py_DebugOffsets (%s parser)" % version in err, err
        leaves = leaf_names(doc, w.pid)
        assert leaves.most_common(1)[0][0] == "leaf_a", leaves


@test
def untrusted_parser_is_validated_on_the_live_process():
    # What a minor newer than pybpf knows goes through: the newest parser,
    # trusted only after a walk of the live process checks out.
    interp = sid("3.15")
    interp.available()
    with Workload(interp, "split.py") as w:
        doc, err = record(w.pid, seconds=1, name="validated", extra=["-v"],
                          env={"PYBPF_DEBUG_OFFSETS_PARSER": "3.15"})
    assert "(3.15 parser), validated on the live process" in err, err
    assert leaf_names(doc, w.pid).most_common(1)[0][0] == "leaf_a"


@test
def wrong_parser_is_refused():
    for target, parser in (("3.14", "3.15"), ("3.15", "3.14"), ("3.14", "3.13")):
        interp = sid(target)
        interp.available()
        with Workload(interp, "split.py") as w:
            result = run_pybpf(["record", "-p", str(w.pid), "-o", os.path.join(harness.TMP, "x.json")],
                               env=dict(os.environ, PYBPF_DEBUG_OFFSETS_PARSER=parser))
        expect_error(result, r"runs Python %s\.\d+, which the %s _Py_DebugOffsets parser "
                             r"\(PYBPF_DEBUG_OFFSETS_PARSER\) does not fit|cannot read" % (
                                 re.escape(target), re.escape(parser)))
        assert not os.path.exists(os.path.join(harness.TMP, "x.json"))


@test
def deep_stack_behind_perf_trampolines():
    # With -X perf every Python frame has an interpreter entry frame of its
    # own: 400 frames mean 800 to walk, none of them dropped silently.
    interp = sid("3.13")
    interp.available()
    interp.python = "/usr/bin/python3.13"
    argv = interp.argv("deep.py", [400])
    argv.insert(argv.index("/usr/bin/python3.13") + 1, "-X")
    argv.insert(argv.index("-X") + 1, "perf")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        doc, _ = record(proc.pid, seconds=1, name="deep")
    finally:
        proc.kill()
        proc.wait()
    depths = collections.Counter(len(frames) for frames, _ in stacks(doc, main_profile(doc, proc.pid)))
    assert set(depths) == {401}, depths
    return "%d frames" % 401
