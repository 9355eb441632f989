"""Profiles of real workloads on every interpreter, and 3.13+ layouts from the
runtime's own _Py_DebugOffsets."""
import collections
import json
import os
import re
import signal
import subprocess

import formats
import harness
from harness import (UNICODE_FILE, WORKLOADS, Workload, call_columns, def_line, expect_error, leaf_lines, line_of, main_profile, marked, per_interpreter, record, record_counting_cpu, run_pybpf, sid, stacks, test)


# ---- profiles of real workloads --------------------------------------------

@per_interpreter
def known_split(interp):
    interval = 1e9 / 1000
    # 3 s of its CPU time, however loaded the machine: about 3,000 samples.
    with Workload(interp, "split.py") as w:
        doc, _, cpu, _ = record_counting_cpu(w.pid, cpu=3, name="split", interp=interp)
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


def os_thread_name(pid, tid):
    with open("/proc/%d/task/%d/comm" % (pid, tid), encoding="utf-8", errors="replace") as f:
        return f.read().rstrip("\n")


@per_interpreter
def thread_names(interp):
    """Threads show the name threading gave them, read whole from the target
    (3.14+ also name their threads for the OS, cut to 15 bytes); a thread
    _thread started, and the main thread, keep the OS name."""
    path = lambda ext: os.path.join(harness.TMP, "thread-names.%s" % ext)
    with Workload(interp, "named_threads.py") as w:
        doc, _ = record(w.pid, seconds=2, name="thread-names", interp=interp,
                        extra=["-o", path("pb.gz"), "-o", path("txt"), "-o", path("pybpf")])
        result = run_pybpf(["dump", "-p", str(w.pid), "--json"])
        assert result.returncode == 0, result.stderr
        (proc,) = json.loads(result.stdout)["processes"]
        os_names = {t["tid"]: os_thread_name(w.pid, t["tid"]) for t in proc["threads"]}
    long_name = "beta-worker-with-a-long-name-over-15"
    expected = {"alpha_work": "alpha-worker",
                "beta_work": long_name,
                "raw_work": os_names[w.pid]}
    # dump: which thread runs which function, its name, and its OS name.
    tid_of = {}
    for thread in proc["threads"]:
        functions = {f["function"] for f in thread["frames"]}
        assert thread["os_name"] == os_names[thread["tid"]], thread
        if thread["tid"] == w.pid:
            assert thread["name"] == thread["os_name"], "the main thread keeps its OS name: %s" % thread
        for work, name in expected.items():
            if work in functions:
                assert thread["name"] == name, "dump: %s runs in %r, want %r" % (work, thread["name"], name)
                tid_of[work] = thread["tid"]
    assert set(tid_of) == set(expected), "dump found %s" % sorted(tid_of)
    # speedscope: each thread's profile is named after it.
    named = {}
    for profile in doc["profiles"]:
        m = re.search(r"\] thread (\d+) \((.*)\)$", profile["name"])
        assert m, profile["name"]
        named[int(m.group(1))] = m.group(2)
    for work, name in expected.items():
        assert named.get(tid_of[work]) == name, "speedscope: %s is %r, want %r" % (
            work, named.get(tid_of[work]), name)
    # pprof: the thread label, and the OS name beside a name read from the target.
    summary = json.loads(subprocess.run(["node", os.path.join(harness.ROOT, "tools", "pprof-summary.js"),
                                         path("pb.gz")], capture_output=True, text=True,
                                        check=True).stdout)
    for s in summary["samples"]:
        labels = s["labels"]
        assert labels["thread"] == named[labels["tid"]], labels
        read = labels["thread"] != os_names.get(labels["tid"], labels["thread"])
        assert labels.get("os_thread") == (os_names[labels["tid"]] if read else None), labels
    # collapsed: each stack's root is its thread, named so.
    with open(path("txt"), encoding="utf-8") as f:
        roots = {re.search(r" thread (\d+) \((.*?)\);", line).groups() for line in f}
    assert {(int(t), n) for t, n in roots} == set(named.items()), roots
    # The raw recording keeps both names, and report gives the same profile names back.
    raw = formats.RawRecording(path("pybpf"))
    for _, tid, os_name, python_name in raw.threads:
        assert os_name == os_names[tid] and (python_name or os_name) == named[tid], (tid, os_name, python_name)
    result = run_pybpf(["report", "-q", "-i", path("pybpf"), "-o", path("json")])
    assert result.returncode == 0, result.stderr
    with open(path("json"), encoding="utf-8") as f:
        assert sorted(p["name"] for p in json.load(f)["profiles"]) == sorted(p["name"] for p in doc["profiles"])
    return "Python %s: %s" % (proc["python"], ", ".join(sorted(named.values())))


@per_interpreter
def two_calls_on_a_line(interp):
    """By line, the caller of each leaf is at that call: on 3.11+ its column
    too (from the location table), before 3.11 the line with no column."""
    line, column = call_columns("columns.py", "TWO-CALLS", ("leaf_a", "leaf_b"))
    with Workload(interp, "columns.py") as w:
        doc, _ = record(w.pid, seconds=2, name="columns", interp=interp)
    has_columns = tuple(int(x) for x in interp.version.split(".")[:2]) >= (3, 11)
    at = {leaf: collections.Counter() for leaf in column}
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        if len(frames) >= 2 and frames[-1]["name"] in at:
            assert frames[-2]["name"] == "caller", [f["name"] for f in frames]
            at[frames[-1]["name"]][(frames[-2]["line"], frames[-2].get("col"))] += weight
    for leaf, positions in at.items():
        want = (line, column[leaf] if has_columns else None)
        assert set(positions) == {want}, "caller under %s at %s, not %s" % (leaf, dict(positions), want)
    return "caller at %s" % ", ".join("%d:%s" % next(iter(at[leaf])) for leaf in column)


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
def parallel_threads_own_their_lines(interp):
    """Eight threads run one shared function at once (in parallel on a
    free-threaded build): each thread's profile holds its own worker only,
    at its own call line, over the shared function's lines, and the samples
    stand for the CPU time all the threads used."""
    script, workers = "parallel_threads.py", 8
    with Workload(interp, script, workers) as w:
        # Until every worker has run 0.3 s (300 samples' worth), however
        # the machine shares its CPUs among them.
        doc, _, cpu, _ = record_counting_cpu(w.pid, cpu=0.3, each_thread=True, name="parallel", interp=interp)
    call = {"worker_%d" % i: line_of(script, "CALL-%d" % i) for i in range(workers)}
    # From its def (3.11+ RESUME there) to its return.
    body = range(def_line(script, "shared_hot"), line_of(script, "HOT") + 2)
    owner, total, in_hot = {}, 0, 0
    for profile in doc["profiles"]:
        tid = int(re.search(r"\] thread (\d+) \(", profile["name"]).group(1))
        for frames, weight in stacks(doc, profile):
            total += weight
            names = [f["name"] for f in frames]
            mine = set(names) & set(call)
            assert len(mine) <= 1, "one stack holds %s" % mine
            for name in mine:
                assert owner.setdefault(name, tid) == tid, "%s in threads %d and %d" % (name, owner[name], tid)
            if marked(frames) or names[-1] != "shared_hot":
                continue
            caller = frames[-2]
            assert caller["name"] in call and caller["line"] == call[caller["name"]], \
                "shared_hot called from %s:%s" % (caller["name"], caller.get("line"))
            assert frames[-1]["line"] in body, "shared_hot at line %s" % frames[-1]["line"]
            in_hot += weight
    assert set(owner) == set(call), "workers found: %s" % sorted(owner)
    assert len(set(owner.values())) == workers and w.pid not in owner.values()
    samples = total / 1e6
    assert 0.5 * cpu * 1000 <= samples <= 1.25 * cpu * 1000 + 50, "%d samples, %.2f s of CPU" % (samples, cpu)
    assert in_hot >= 0.9 * total, "only %.0f%% of samples in shared_hot" % (100 * in_hot / total)
    return "%d threads, %d samples for %.2f s of CPU, %.0f%% in shared_hot at exact lines" % (
        len(owner), samples, cpu, 100 * in_hot / total)


@per_interpreter
def code_object_churn(interp):
    host_dir, seen_dir = interp.script_dir()
    with Workload(interp, "churn.py", os.path.join(seen_dir, "churn-stats.txt")) as w:
        # 3 s of its CPU time, however loaded the machine.
        doc, _ = record(w.pid, cpu=3, name="churn", interp=interp)
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
