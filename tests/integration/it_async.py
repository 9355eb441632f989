"""asyncio tasks: pybpf dump --async, record --async."""
import collections
import json
import os
import re
import signal
import time

import harness
from harness import (Skip, Workload, line_of, main_profile, marked, per_interpreter, record_while,
                     run_pybpf, stacks, wait_cpu, wait_for)

SCRIPT = "async_tree.py"
# The CPythons whose asyncio tasks pybpf reads (3.14+ through their .AsyncioDebug):
# every build of 3.8-3.15 but the free-threaded 3.14t/3.15t, whose layouts are not known.
READS = lambda interp, version: (3, 8) <= version <= (3, 15) and (interp.gil or version < (3, 14))


def dump_async(pid):
    result = run_pybpf(["dump", "--async", "--json", "-p", str(pid)])
    return result, (json.loads(result.stdout)["processes"][0] if result.stdout.strip() else None)


def frames_of(task):
    """(function, file's base name, line) of a task's frames, innermost first."""
    return [(f["function"], f["file"].rsplit("/", 1)[-1], f["line"]) for f in task["frames"]]


def async_def_line(script, function):
    with open(os.path.join(harness.WORKLOADS, script), encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            if text.startswith("async def %s(" % function):
                return number
    raise AssertionError("no async def %s in %s" % (function, script))


def at(marker):
    return ("async_tree.py", line_of(SCRIPT, marker))


def suspended_in(task, *chain):
    """TASK's frames are CHAIN (innermost first: (function, marker), or a
    function of asyncio's own files)."""
    got = frames_of(task)
    want = [(f, "tasks.py") if m is None else (f,) + at(m) for f, m in chain]
    assert [g[:len(w)] for g, w in zip(got, want)] == want and len(got) == len(want), \
        "%s: frames %s, not %s" % (task["name"], got, want)


@per_interpreter
def dump_async_task_tree(interp):
    """Every task of two event loops (one in a second thread), with its state,
    the coroutine chain it is suspended in, and the tasks it awaits: through
    `await task`, gather() and (3.11+) a TaskGroup; the one running is shown
    on its thread's stack."""
    with Workload(interp, SCRIPT) as w:
        # "ready" comes just before main awaits gather() and the spinner takes the loop for good.
        def settled():
            result, proc = dump_async(w.pid)
            version = tuple(int(x) for x in proc["python"].split(".")[:2]) if proc else None
            if version and not READS(interp, version):
                return result, proc, version
            tasks = [t for loop in proc["asyncio"]["loops"] for t in loop["tasks"]] if proc else []
            spinning = any(t["name"] == "spinner" and t["running"] and t["frames"] for t in tasks)
            return (result, proc, version) if spinning else None
        result, proc, version = wait_for(settled, 60, "the spinner task to run")
        text = run_pybpf(["dump", "--async", "-p", str(w.pid)])
    if not READS(interp, version):
        assert result.returncode == 1 and text.returncode == 1, (result.returncode, text.returncode)
        line = "pybpf: error: PID %d: asyncio tasks not read: it runs Python %s, and pybpf reads " \
               "the asyncio tasks of CPython 3.8-3.15 (free-threaded: 3.13t) only\n" % (w.pid, proc["python"])
        assert result.stderr == line and text.stderr == line, result.stderr
        # What was read is still printed: the threads, and the reason in the JSON.
        assert proc["threads"] and proc["asyncio"]["error"], proc["asyncio"]
        return "Python %s: refused in one line, threads still printed" % proc["python"]
    assert result.returncode == 0 and text.returncode == 0, result.stderr + text.stderr
    aio = proc["asyncio"]
    assert aio["error"] is None and not aio["cut"] and aio["not_c_tasks"] == 0, aio
    loop_thread = next(t for t in proc["threads"] if t["name"] == "loop-thread")
    loops = {loop["thread"]: loop for loop in aio["loops"]}
    assert set(loops) == {w.pid, loop_thread["tid"]}, "loops run by %s" % sorted(loops, key=str)
    tasks = {t["name"]: t for t in loops[w.pid]["tasks"]}
    unnamed = [n for n in tasks if re.fullmatch(r"Task-\d+", n)]
    group = {"grouped", "member-1", "member-2"} if version >= (3, 11) else set()
    named = {"worker-a", "worker-b", "child", "spinner"} | group
    assert set(tasks) == named | set(unnamed) and len(unnamed) == 2, sorted(tasks)
    address = {name: t["address"] for name, t in tasks.items()}
    main = next(tasks[n] for n in unnamed if frames_of(tasks[n])[0][0] == "main")
    other = next(tasks[n] for n in unnamed if tasks[n] is not main)
    # main awaits gather(worker-a, worker-b)
    suspended_in(main, ("main", "MAIN-GATHER"))
    assert main["waiting_for"] == "gather" and set(main["awaits"]) == {address["worker-a"], address["worker-b"]}
    # worker-a awaits the task "child", which is asleep two coroutines down.
    suspended_in(tasks["worker-a"], ("worker_a", "WORKER-A-AWAIT"))
    assert tasks["worker-a"]["waiting_for"] == "task" and tasks["worker-a"]["awaits"] == [address["child"]]
    suspended_in(tasks["child"], ("sleep", None), ("leaf_sleep", "LEAF-SLEEP"), ("child", "CHILD-AWAIT"))
    assert tasks["child"]["waiting_for"] == "future" and tasks["child"]["awaited_by"] == [address["worker-a"]]
    for t in (tasks["worker-b"], other):
        suspended_in(t, ("sleep", None), ("worker_b", "WORKER-B-SLEEP"))
        assert t["waiting_for"] == "future" and t["state"] == "pending" and not t["running"], t
    assert tasks["worker-b"]["awaited_by"] == [main["address"]] and other["awaited_by"] == []
    if group:
        # A TaskGroup's parent awaits its children (as 3.14's "awaited by" has it).
        assert set(tasks["grouped"]["awaits"]) == {address["member-1"], address["member-2"]}
        outer = frames_of(tasks["grouped"])[-1]
        assert outer == ("grouped",) + at("GROUP-WAIT"), outer
        assert frames_of(tasks["grouped"])[-2][:2] == ("TaskGroup.__aexit__", "taskgroups.py")
        for name in ("member-1", "member-2"):
            suspended_in(tasks[name], ("sleep", None), ("group_member", "GROUP-MEMBER"))
    # The running task: its thread's frames from its coroutine up, innermost first.
    spinner = tasks["spinner"]
    assert spinner["running"] and spinner["thread"] == w.pid and spinner["waiting_for"] == "nothing", spinner
    got = frames_of(spinner)
    assert [f[0] for f in got] == ["burn", "spinner"] and got[1] == ("spinner",) + at("SPIN"), got
    # The second thread's loop.
    by_name = {t["name"]: t for t in loops[loop_thread["tid"]]["tasks"]}
    sleeper = by_name.pop("thread-task")
    (runner,) = by_name.values()
    suspended_in(sleeper, ("sleep", None), ("thread_task", "THREAD-SLEEP"))
    assert runner["awaits"] == [sleeper["address"]] and runner["waiting_for"] == "task", runner
    # The text says the same, as a tree: a task above what it awaits.
    lines = text.stdout.splitlines()
    def indent_of(task_name):
        (i,) = [i for i, l in enumerate(lines) if l.strip().startswith('Task "%s" (' % task_name)]
        return i, len(lines[i]) - len(lines[i].lstrip())
    (wa, wa_indent), (ch, ch_indent) = indent_of("worker-a"), indent_of("child")
    assert lines[wa].strip() == 'Task "worker-a" (pending, awaiting a task)' and ch > wa and ch_indent == wa_indent + 2
    assert lines[ch + 1].strip().startswith("child (") and lines[ch + 3].strip().startswith("sleep ("), lines[ch:ch + 4]
    assert 'Task "spinner" (running in thread %d)' % w.pid in text.stdout
    return "Python %s: %d tasks in 2 loops, trees and frames exact" % (proc["python"], len(tasks) + 2)


def many_tasks(interp, count, churn):
    """(dumps of async_many.py with COUNT sleepers, and CHURN), each checked:
    every task named, in a known state, at known lines only."""
    script = "async_many.py"
    # Each function at its await, or at its def before it starts (3.11+ shows that line then).
    lines = {f: {line_of(script, marker), async_def_line(script, f)} for f, marker in
             (("sleeper", "SLEEPER"), ("blip", "BLIP"), ("churner", "CHURN"), ("main", "MAIN"))}
    dumps = []
    with Workload(interp, script, count, *(["churn"] if churn else [])) as w:
        for _ in range(10 if churn else 1):
            result, proc = dump_async(w.pid)
            version = tuple(int(x) for x in proc["python"].split(".")[:2])
            if not READS(interp, version):
                raise Skip("Python %s: its tasks are not read yet (dump_async_task_tree checks the refusal)"
                           % proc["python"])
            assert result.returncode == 0, result.stderr
            aio = proc["asyncio"]
            assert aio["error"] is None and not aio["cut"], aio
            # Only churn ends tasks while they are read, or changes the registry under the reader
            # (an entry freed and reused meanwhile is counted as no C task).
            assert churn or (aio["vanished"] == 0 and not aio["incomplete"] and aio["not_c_tasks"] == 0), aio
            (loop,) = aio["loops"]
            assert loop["thread"] == w.pid
            for task in loop["tasks"]:
                assert task["state"] in ("pending", "done", "cancelled"), task
                # A frame that started or stopped running while read is cut there, and marked.
                assert (churn or not task["chain_cut"]) and not task["awaits_cut"], task
                # A running task's frames are its thread's: its coroutine at any line, asyncio's above.
                # (none once its coroutine has returned, before the loop leaves it)
                if task["running"]:
                    assert task["frames"][-1:] == [] or task["frames"][-1]["function"] in lines, task
                    continue
                for f in task["frames"]:
                    if f["file"].endswith("/" + script):
                        assert f["line"] in lines[f["function"]], (task["name"], f)
                    else:
                        assert f["function"] in ("sleep", "__sleep0"), (task["name"], f)
            dumps.append(({t["name"]: t for t in loop["tasks"]}, aio["incomplete"]))
    return dumps


@per_interpreter
def dump_async_ten_thousand_tasks(interp):
    """10,000 sleeping tasks and the one gathering them: all read, exact."""
    ((tasks, _),) = many_tasks(interp, 10000, churn=False)
    sleepers = [t for name, t in tasks.items() if name.startswith("sleeper-")]
    assert len(sleepers) == 10000 and len(tasks) == 10001, len(tasks)
    (main,) = [t for name, t in tasks.items() if not name.startswith("sleeper-")]
    assert main["waiting_for"] == "gather" and len(main["awaits"]) == 10000
    for t in sleepers:
        assert [f["function"] for f in t["frames"]] == ["sleep", "sleeper"] and \
            t["awaited_by"] == [main["address"]], t
    return "10,001 tasks, each at its line, all awaited by the gathering one"


@per_interpreter
def dump_async_tasks_coming_and_going(interp):
    """A task starts a short task as fast as the last one ends: ten dumps of
    it, each exit 0 with every frame shown one of the program's."""
    dumps = many_tasks(interp, 10, churn=True)
    blips = whole = 0
    for tasks, incomplete in dumps:
        # A registry that kept changing while read may miss tasks, and says so.
        if not incomplete:
            assert {"sleeper-%d" % i for i in range(10)} | {"churner"} <= set(tasks), sorted(tasks)
            whole += 1
        blips += sum(name.startswith("blip-") for name in tasks)
    assert whole, "no dump read the registry whole"
    return "10 dumps (%d whole), %d short tasks seen" % (whole, blips)


def python_version(pid):
    """(major, minor) and the whole version of the Python PID runs, as pybpf reads it."""
    result = run_pybpf(["dump", "--json", "-p", str(pid)])
    assert result.returncode == 0, result.stderr
    version = json.loads(result.stdout)["processes"][0]["python"]
    return tuple(int(x) for x in version.split(".")[:2]), version


def task_frame_indices(frames):
    """Where the [task NAME] frames are in a stack."""
    return [i for i, f in enumerate(frames) if f["name"].startswith("[task ")]


def task_of(frames):
    """(the names of the [task NAME] frames, outermost first: the running
    task last, the tasks awaiting it before; the frames outside them; the
    frames inside) of a stack root first; (None, None, None) without any.
    Between two task frames only the outer task's own frames (at a line)
    and the mark of those not read (awaiting_frames())."""
    at_task = task_frame_indices(frames)
    if not at_task:
        return None, None, None
    first, last = at_task[0], at_task[-1]
    between = [f for f in frames[first:last + 1] if not f["name"].startswith("[task ")]
    assert all(f["name"] == AWAIT_FRAMES_CUT or (not f["name"].startswith("[") and f.get("line"))
               for f in between), "between task frames: %s" % [f["name"] for f in frames]
    return [frames[i]["name"][len("[task "):-1] for i in at_task], \
        [f["name"] for f in frames[:first]], [(f["name"], f.get("line")) for f in frames[last + 1:]]


def awaiting_frames(frames):
    """Each awaiting task's own frames, outermost first, as (name, line): the
    frames between its [task NAME] frame and the next one (task_of()), the
    mark of frames not read last if there."""
    at_task = task_frame_indices(frames)
    return [[(f["name"], f.get("line")) for f in frames[a + 1:b]] for a, b in zip(at_task, at_task[1:])]


# The name of a [task NAME] frame whose name was not read at the sample.
UNREAD_NAME = "?"
# The frame outside the task frames when a read of their awaiters failed.
AWAITERS_CUT = "[awaiters not read]"
# The frame after an awaiting task's own frames that stop short of its await.
AWAIT_FRAMES_CUT = "[awaiting frames not read]"


def names_read_match(got, expected):
    """Whether the task names GOT are EXPECTED, but for names not read."""
    return len(got) == len(expected) and all(g in (e, UNREAD_NAME) for g, e in zip(got, expected))


@per_interpreter
def record_async_task_shares(interp):
    """record --async: three tasks running the same code with CPU shares
    60/30/10, one of them unnamed, each sample of it under a [task NAME]
    frame right above the task's coroutine, and the tasks awaiting it above
    that, each with its own frames at its await (main through gather(),
    and for alpha the task "boss" through
    `await alpha`), and from 3.11 for beta the task "group" whose
    TaskGroup beta is in (the group's bound method read in the kernel up
    to 3.13, the runtime's record from 3.14); the shares within 3 points of each task's
    CPU time in work() as the workload itself measured it while recorded,
    under the right names; a second thread's loop with its own task."""
    script = "async_split.py"
    with Workload(interp, script) as w:
        unnamed = w.proc.stdout.readline().strip()
        main = w.proc.stdout.readline().strip()
        version, interp.version = python_version(w.pid)
        spent = []

        def measured():
            """Each task's CPU time in work() so far, as the workload measured it."""
            os.kill(w.pid, signal.SIGUSR1)
            spent.append(json.loads(w.proc.stdout.readline()))

        def during():
            measured()
            # 4 s of its CPU time, however loaded the machine: about 4,000 ticks at 1 kHz.
            wait_cpu(w.pid, 4 if READS(interp, version) else 0.5)
            measured()
        stats_file = os.path.join(harness.TMP, "async-split-%d.stats.json" % w.pid)
        doc, err = record_while(w.pid, during, name="async-split", extra=["--async", "--stats", stats_file])
    with open(stats_file) as f:
        st = json.load(f)
    # What may leave a name or awaiters unread: a failed read, or the read budget spent.
    read_errors = st["read_errors"] + st["budget_cut"]
    names = {f["name"] for f in doc["shared"]["frames"] if f["name"].startswith("[task ")}
    if not READS(interp, version):
        assert not names, names
        assert "PID %d runs Python %s: --async names the asyncio tasks of CPython 3.8-3.15 " \
            "(free-threaded: 3.13t) only; its samples show no tasks" % (w.pid, interp.version) in err, err
        return "Python %s: no task frames, and a warning saying so" % interp.version
    assert re.fullmatch(r"Task-\d+", unnamed), unnamed
    # work() at any of its lines (its def line and its return at its call and return).
    work = set(range(harness.def_line(script, "work"), line_of(script, "WORK") + 2))
    share_work = line_of(script, "SHARE-WORK")
    # The awaiting tasks' own frames: each at its await; the group's in
    # the TaskGroup's exit too (3.13 awaits _aexit() from __aexit__).
    own_frames = {main: [("main", line_of(script, "MAIN-GATHER"))], "boss": [("boss", line_of(script, "BOSS-AWAIT"))],
                  "group": [("group", line_of(script, "GROUP-WITH"))]}
    AEXIT = {"TaskGroup.__aexit__", "TaskGroup._aexit"}
    shares, untasked, unread = {"alpha": 0, "beta": 0, unnamed: 0}, 0, 0
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        if frames[-1]["name"] != "work":
            continue
        chain, outside, inside = task_of(frames)
        if chain is None:
            # Only a stack that says it is incomplete may lack its task.
            assert marked(frames), [f["name"] for f in frames]
            untasked += weight
            continue
        name = chain[-1]
        awaiters = {"alpha": [main, "boss"], "beta": [main, "group"] if version >= (3, 11) else [main],
                    unnamed: [main]}
        awaiting = awaiters.get(name, [main])
        cut = outside[-1:] == [AWAITERS_CUT]
        if UNREAD_NAME in chain or cut:
            # A name not read at the sample, or the awaiters past the last
            # one read (failed reads, counted): the names read still in
            # their places.
            unread += weight
            read = len(chain) - 1
            assert any(names_read_match(chain[:-1], each[len(each) - read:] if cut else each)
                       for task, each in awaiters.items() if name in (task, UNREAD_NAME) and read <= len(each)), \
                "%s awaited by %s: %s" % (name, chain[:-1], ";".join(f["name"] for f in frames))
            continue
        assert chain[:-1] == awaiting, "%s awaited by %s: %s" % (name, chain[:-1], ";".join(f["name"] for f in frames))
        # Each awaiting task's own frames, to its await on the task below;
        # where a read failed, those read and the mark.
        own_cut = False
        for task, own in zip(chain[:-1], awaiting_frames(frames)):
            cut_here = bool(own) and own[-1][0] == AWAIT_FRAMES_CUT
            own = own[:-1] if cut_here else own
            want = own_frames[task]
            rest = [f for f, _ in own[len(want):]]
            assert own[:len(want)] == want[:len(own)] and set(rest) <= AEXIT and \
                (cut_here or len(own) >= len(want) and (task != "group" or rest)), \
                "%s's own frames: %s" % (task, ";".join(f["name"] for f in frames))
            own_cut |= cut_here
        if own_cut:
            unread += weight
            continue
        # The task's coroutine and what it calls inside, the event loop outside.
        assert inside[:1] == [("share", share_work)] and len(inside) == 2 and \
            inside[1][0] == "work" and inside[1][1] in work, (name, inside)
        # (co_qualname from 3.11, co_name before)
        assert {"Handle._run", "_run"} & set(outside) and "share" not in outside, (name, outside)
        assert name in shares, "work() under the task %r" % name
        shares[name] += weight
    total = sum(shares.values())
    assert total and untasked <= total * 0.01 and unread <= total * 0.02, (shares, untasked, unread)
    got = {name: 100.0 * v / total for name, v in shares.items()}
    # The truth: each task's CPU time in work() while recorded, as the workload
    # measured it (about 60/30/10, by how much work each does a turn).
    used = {name: spent[1][name] - spent[0].get(name, 0) for name in shares}
    truth = {name: 100.0 * v / sum(used.values()) for name, v in used.items()}
    for name in shares:
        assert abs(got[name] - truth[name]) <= 3, "shares %s, measured in the target %s" % (got, truth)
    # The second thread's loop: its own task, and none of the main loop's.
    other = [p for p in doc["profiles"] if "thread %d " % w.pid not in p["name"]]
    other_tasks = collections.Counter()
    for p in other:
        for frames, weight in stacks(doc, p):
            other_tasks[tuple(task_of(frames)[0] or ())] += weight
    del other_tasks[()]
    assert set(other_tasks) <= {("elsewhere",), (UNREAD_NAME,)} and other_tasks[("elsewhere",)] >= \
        20 * other_tasks[(UNREAD_NAME,)], other_tasks
    unread += other_tasks[(UNREAD_NAME,)]
    assert not unread or read_errors, "names or awaiters not read in samples of %d ns, no failed read or budget cut counted: %s" % (
        unread, [";".join(f["name"] for f in frames) for p in doc["profiles"] for frames, _ in stacks(doc, p)
                 if "[task %s]" % UNREAD_NAME in [f["name"] for f in frames]][:3])
    return "Python %s: alpha/beta/%s %.1f/%.1f/%.1f%% (measured %.1f/%.1f/%.1f) of %d ms of work(), " \
        "under %s (and boss)%s" % (interp.version, unnamed, got["alpha"], got["beta"], got[unnamed],
                                   truth["alpha"], truth["beta"], truth[unnamed], total // 1000000, main,
                                   "; %d ms with a name or awaiters not read" % (unread // 1000000) if unread else "")


@per_interpreter
def record_wall_async_suspended_tasks(interp):
    """--mode wall --async: the tasks suspended in an await get their wall
    time on their own await chains, under their names and those of the
    tasks awaiting them, in a thread of their own: "sleepy" asleep in nap()
    under "waiter" (which awaits it) under the main task; "waiter" at its
    `await task`; the main task at its await.  Each is suspended all the
    time, so each gets about all the time the reads gave out (each read of
    the tasks stands for the time since the one before; a failed read's
    interval is counted, not given), and no more than pybpf ran."""
    script = "async_waits.py"
    stats = os.path.join(harness.TMP, "async-waits.stats.json")
    with Workload(interp, script) as w:
        main = w.proc.stdout.readline().strip()
        version, interp.version = python_version(w.pid)
        started = time.monotonic()
        doc, err = record_while(w.pid, lambda: time.sleep(2), name="async-waits",
                                extra=["--mode", "wall", "--async", "--stats", stats])
        ran_ns = (time.monotonic() - started) * 1e9
    suspended = [p for p in doc["profiles"] if "thread - (asyncio tasks, suspended)" in p["name"]]
    if not READS(interp, version):
        assert not suspended, [p["name"] for p in doc["profiles"]]
        return "Python %s: no suspended tasks (--async warns)" % interp.version
    assert len(suspended) == 1, [p["name"] for p in doc["profiles"]]
    with open(stats) as f:
        st = json.load(f)
    duration_ns = st["duration_s"] * 1e9
    tasks = [p["suspended_tasks"] for p in st["processes"] if p["pid"] == w.pid]
    assert len(tasks) == 1 and tasks[0], st["processes"]
    # The reads cover the recording, from its start to its end (each read
    # gives out whole microseconds: at most 1 us short a read, one a
    # sampling period at the soonest), and what they read is the whole of
    # it: a read that failed is counted and its interval given to nobody.
    span_ns, unread_ns = tasks[0]["span_s"] * 1e9, tasks[0]["unread_s"] * 1e9
    assert 0.99 * duration_ns - 2e6 <= span_ns <= duration_ns + 2e6, "reads span %.3f s of a %.3f s recording" % (
        span_ns / 1e9, duration_ns / 1e9)
    assert unread_ns <= span_ns and (not unread_ns or tasks[0]["failed_reads"]), tasks[0]
    read_ns = span_ns - unread_ns
    want = {
        (main, "waiter", "sleepy"): ("nap", line_of(script, "NAP")),
        (main, "waiter"): ("waiter", line_of(script, "AWAIT")),
        (main,): ("main", line_of(script, "MAIN")),
    }
    totals, whole = collections.Counter(), collections.Counter()
    for frames, weight in stacks(doc, suspended[0]):
        chain, outside, inside = task_of(frames)
        # A task's stack starts at the outermost task awaiting it.
        assert chain and not outside, [f["name"] for f in frames]
        chain = tuple(chain)
        if chain in want:
            # A read that caught "sleepy" mid-step (or woken, waiting for
            # the loop busy in "busy") marks that read's interval rather than
            # guess its frames: the time is still the task's.
            marks = [name for name, _ in inside if name.startswith("[")]
            assert marks in ([], ["[await chain cut: not all of it could be read]"],
                             ["[ready: waiting for its loop]"]), (chain, inside)
            # The mark comes last, after what could be read: from the await, or nothing.
            assert not marks or inside[-1][0] == marks[0], (chain, inside)
            read = inside[:len(inside) - len(marks)]
            assert read[:1] == [want[chain]] or (marks and not read), (chain, inside)
            # The tasks awaiting it with their own frames, each at its await,
            # or marked where they were not read.
            for task, own in zip(chain[:-1], awaiting_frames(frames)):
                assert own[:1] == [want[chain[:chain.index(task) + 1]]] or [f for f, _ in own] == [AWAIT_FRAMES_CUT], \
                    (chain, awaiting_frames(frames))
            whole[chain] += 0 if marks else weight
            totals[chain] += weight
        else:
            # The other task computes, sleeps or waits for its turn; one read
            # while it ran (a race) marks its chain cut rather than guess.
            assert chain == ("busy",) and (inside[:1] in ([("busy", line_of(script, "BUSY"))], []) or
                                           inside[0][0].startswith("[")), (chain, inside)
    for chain in want:
        assert 0.8 * read_ns <= totals[chain] <= min(read_ns + 1e7, ran_ns), \
            "%s: %.2f s of %.2f s read, a %.2f s recording (pybpf ran %.2f s)" % (
                chain, totals[chain] / 1e9, read_ns / 1e9, duration_ns / 1e9, ran_ns / 1e9)
        # "sleepy" runs for microseconds in each 50 ms: most reads see it asleep.
        assert whole[chain] >= totals[chain] / 2, "%s: %.2f s whole of %.2f s" % (
            chain, whole[chain] / 1e9, totals[chain] / 1e9)
    return "Python %s: sleepy/waiter/%s suspended %.2f/%.2f/%.2f s of %.2f s read, %.2f s not (%.2f/%.2f/%.2f s marked)" % (
        interp.version, main, *(totals[c] / 1e9 for c in want), read_ns / 1e9, unread_ns / 1e9,
        *((totals[c] - whole[c]) / 1e9 for c in want))


@per_interpreter
def record_async_tasks_coming_and_going(interp):
    """record --async beside 10,000 sleeping tasks while a task starts a
    short task as fast as the last one ends: every sample in a task's code
    names that task (blip-N inside blip(), churner inside churner()), none
    names anything else, and a blip-N task shows awaited by the churner."""
    script = "async_many.py"
    with Workload(interp, script, 10000, "churn") as w:
        version, interp.version = python_version(w.pid)
        if not READS(interp, version):
            raise Skip("Python %s: no task frames (record_async_task_shares checks the warning)"
                       % interp.version)
        doc, _ = record_while(w.pid, lambda: wait_cpu(w.pid, 1.5), name="async-churn", extra=["--async"])
    named = collections.Counter()
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        names = [f["name"] for f in frames]
        in_task = {"blip", "churner"} & set(names)
        chain, outside, inside = task_of(frames)
        if chain is None:
            assert not in_task or marked(frames), names
            continue
        assert inside and inside[0][0] in ("blip", "churner") and not in_task & set(outside), (chain, names)
        # A blip-N task runs awaited by the churner, which nothing awaits,
        # itself at its await (or marked: it may be caught stepping).
        if inside[0][0] == "blip":
            assert len(chain) == 2 and chain[0] == "churner" and re.fullmatch(r"blip-\d+", chain[1]), chain
            (own,) = awaiting_frames(frames)
            assert own == [("churner", line_of(script, "CHURN"))] or [f for f, _ in own] == [AWAIT_FRAMES_CUT], own
        else:
            assert chain == ["churner"], chain
        named[inside[0][0]] += weight
    assert named["blip"] and named["churner"], named
    return "Python %s: %d ms in blip-N tasks, %d ms in churner, each under its own name" % (
        interp.version, named["blip"] // 1000000, named["churner"] // 1000000)


@per_interpreter
def record_async_task_at_page_end(interp):
    """record --async names a task that ends where a page never touched
    begins (async_page_end.py places one so where the interpreter's
    allocator lets it): the kernel reads no more of a task than the task,
    since a probe read cannot fault that page in and would fail on every
    sample of it.  Each sample in the task's code is under its name."""
    script = "async_page_end.py"
    with Workload(interp, script) as w:
        placed = harness.next_line(w.proc, 120).strip()
        assert placed in ("placed", "not placed"), "the workload printed %r" % placed
        version, interp.version = python_version(w.pid)
        if not READS(interp, version):
            raise Skip("Python %s: no task frames (record_async_task_shares checks the warning)" % interp.version)
        doc, _ = record_while(w.pid, lambda: wait_cpu(w.pid, 1), name="async-page-end", extra=["--async"])
        os.kill(w.pid, signal.SIGUSR1)
        told = json.loads(harness.next_line(w.proc, 60))
    if not (told["placed"] and told["untouched"]):
        return "Python %s: the allocator placed no task so (%s)" % (
            interp.version, "placed, then the page was touched" if told["placed"] else "none in 5000 tasks")
    named = unnamed = 0
    for frames, weight in stacks(doc, main_profile(doc, w.pid)):
        names = [f["name"] for f in frames]
        if "work" not in names:
            continue
        chain, _, _ = task_of(frames)
        if chain == [told["name"]]:
            named += weight
        else:
            assert chain is None and marked(frames), names
            unnamed += weight
    # A rare read may fail for reasons of its own (a page being moved): each one marked.
    assert named and unnamed <= (named + unnamed) * 0.05, (named, unnamed)
    return "Python %s: %s at %#x (%d bytes, the page after untouched): %d of %d ms under its name" % (
        interp.version, told["name"], told["address"], told["size"], named // 1000000, (named + unnamed) // 1000000)
