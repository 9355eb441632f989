"""pybpf top and pybpf dump."""
import json
import os
import re
import signal
import subprocess
import time

import harness
from harness import (Interpreter, Workload, expect_error, free_pid, freethreaded_build, line_of, ns_child, pyenv_or_bullseye, run_pybpf, sid, test, wait_for)


# ---- pybpf top and pybpf dump -----------------------------------------------

class Tmux:
    """pybpf top in a real 80x24 terminal; the shell line after it shows how it ended."""

    def __init__(self, args):
        self.name = "pybpf-top-%d" % os.getpid()
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
        command = "%s top %s; echo EXITED rc=$?; sleep 60" % (harness.PYBPF, " ".join(args))
        # A tmux server already running gives the pane its own environment,
        # not ours: pass on the sanitizers' options (make check-asan).
        env = sum((["-e", "%s=%s" % kv] for kv in os.environ.items() if kv[0].endswith("SAN_OPTIONS")), [])
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "80", "-y", "24"] + env +
                       ["sh", "-c", command], check=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def screen(self):
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True, check=True).stdout

    def keys(self, *keys):
        subprocess.run(["tmux", "send-keys", "-t", self.name] + list(keys), check=True)

    def wait_for(self, predicate, seconds=30):
        """The screen once PREDICATE holds; SECONDS only bounds a failure."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError("screen never matched:\n" + self.screen())

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def top_rows(screen):
    """Function names of the table rows, top to bottom."""
    return re.findall(r"^\s+[\d.]+%\s+[\d.]+%\s+[\d.]+s\s+[\d.]+s\s+(?:\d+(?::\d+)?\s+)?(\S+) \(",
                      screen, re.M)


@test
def top_live_view():
    for interp in (Interpreter("", "/usr/bin/python3.11"), freethreaded_build("3.13")):
        interp.available()
        top_live_check(interp)
    return "python3.11, python3.13t"


def top_live_check(interp):
    with Workload(interp, "split.py") as w:
        with Tmux(["-p", str(w.pid), "-r", "1000"]) as tmux:
            # The hot function comes to the top.
            screen = tmux.wait_for(lambda s: top_rows(s)[:1] == ["leaf_a"])
            assert "pybpf top: 1 processes" in screen, screen
            assert all(len(line) <= 80 for line in screen.splitlines())
            # Sorting by total time puts the callers of everything first.
            tmux.keys("4")
            screen = tmux.wait_for(lambda s: "(TotalTime)" in s and top_rows(s)[:1] != ["leaf_a"])
            assert set(top_rows(screen)[:3]) == {"<module>", "main", "recurse"}, top_rows(screen)
            # Grouping by thread shows pid:tid.
            tmux.keys("g", "g")
            tmux.wait_for(lambda s: "(thread)" in s and re.search(r"\s%d:%d\s" % (w.pid, w.pid), s))
            # q leaves and gives the terminal back (the table is gone).
            tmux.keys("q")
            screen = tmux.wait_for(lambda s: "EXITED rc=0" in s)
            assert "%Own" not in screen, screen


@test
def top_async_shows_the_tasks():
    """top --async: the tasks' frames are rows of the live view (by total
    time: each stands for all of its task's time)."""
    with Workload("/usr/bin/python3.11", "async_split.py") as w:
        with Tmux(["--async", "-p", str(w.pid), "-r", "1000"]) as tmux:
            tmux.keys("4")
            tmux.wait_for(lambda s: "(TotalTime)" in s and "[task alpha]" in s and "[task beta]" in s)
            tmux.keys("q")
            tmux.wait_for(lambda s: "EXITED rc=0" in s)
    return "[task alpha] and [task beta] among the rows"


@test
def top_memory_mode():
    """top --mode memory: the functions that grew the process, in MiB,
    the one that grew it most (240 MiB) first."""
    with Workload("/usr/bin/python3.11", "memory_lines.py") as w:
        with Tmux(["--mode", "memory", "-p", str(w.pid)]) as tmux:
            tmux.wait_for(lambda s: "pybpf top --mode memory: 1 processes" in s)
            os.kill(w.pid, signal.SIGUSR1)
            tmux.keys("3")
            rows = r"^\s+[\d.]+%\s+[\d.]+%\s+([\d.]+)M\s+[\d.]+M\s+(\S+) \("
            screen = tmux.wait_for(lambda s: "(OwnMiB)" in s and "grow" in [n for _, n in re.findall(rows, s, re.M)])
            own = {name: float(mib) for mib, name in re.findall(rows, screen, re.M)}
            assert re.findall(rows, screen, re.M)[0][1] == "together_a", screen
            assert 216 <= own["together_a"] <= 264 and 180 <= own["big"] <= 220, screen
            tmux.keys("q")
            tmux.wait_for(lambda s: "EXITED rc=0" in s)
    return "big %.1f MiB, small %.1f MiB" % (own["big"], own.get("small", 0))


@test
def top_restores_the_terminal_on_sigterm():
    with Workload("/usr/bin/python3.11", "split.py") as w:
        with Tmux(["-p", str(w.pid)]) as tmux:
            tmux.wait_for(lambda s: "leaf_" in s)
            # Only pybpf itself, not the shell around it in the pane.
            subprocess.run(["pkill", "-TERM", "-x", "-f", "%s top -p %d" % (harness.PYBPF, w.pid)], check=True)
            screen = tmux.wait_for(lambda s: "EXITED rc=0" in s)
            assert "%Own" not in screen, screen


@test
def top_without_a_usable_terminal():
    # ncurses refuses the terminal and ends pybpf itself (under check-asan,
    # this is tests/lsan.supp's case).
    with Workload("/usr/bin/python3.11", "split.py") as w:
        result = run_pybpf(["top", "-p", str(w.pid)], env=dict(os.environ, TERM="pybpf-no-such-term"))
    assert result.returncode == 1 and "pybpf-no-such-term" in result.stderr, (result.returncode, result.stderr)


def threads_in_blocking_calls(pid):
    """PID's threads asleep in a system call other than futex (waiting for
    the GIL is not the blocking call a workload parks a thread in)."""
    n = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                call = f.read().split()
        except OSError:
            continue
        n += bool(call) and call[0] not in ("running", "-1", "202")
    return n


def dump(args):
    result = run_pybpf(["dump"] + args)
    assert result.returncode == 0, result.stderr
    return result.stdout


@test
def dump_every_thread():
    interps = [Interpreter("", "/usr/bin/python3.11"), sid("3.14"), pyenv_or_bullseye(),
               freethreaded_build("3.13")]
    checked = []
    for interp in interps:
        interp.available()
        with Workload(interp, "dump_threads.py") as w:
            # Three threads in their blocking calls, however long the machine takes.
            wait_for(lambda: threads_in_blocking_calls(w.pid) >= 3, 60, "the threads to block")
            text, doc = dump(["-p", str(w.pid)]), json.loads(dump(["-p", str(w.pid), "--json"]))
        (proc,) = doc["processes"]
        assert proc["pid"] == w.pid
        by_name = {}
        for thread in proc["threads"]:
            assert thread["frames"], thread
            by_name[thread["frames"][0]["function"]] = thread
        expected = {"sleeper": "SLEEP", "reader": "READ", "spinner": "SPIN", "<module>": "MAIN"}
        assert set(by_name) == set(expected), sorted(by_name)
        for function, marker in expected.items():
            frame = by_name[function]["frames"][0]
            assert frame["line"] == line_of("dump_threads.py", marker), frame
            assert frame["file"].endswith("dump_threads.py")
        # The only thread that wants the GIL keeps it and stays runnable;
        # a free-threaded build has no GIL to hold (null).
        assert by_name["spinner"]["on_cpu"] and by_name["spinner"]["holds_gil"] is (True if interp.gil else None), \
            by_name["spinner"]
        assert not by_name["sleeper"]["on_cpu"] and not by_name["reader"]["on_cpu"]
        for name in ("sleeper", "reader"):
            assert by_name[name]["holds_gil"] is (False if interp.gil else None), by_name[name]
        # The text output says the same thing.
        for thread in proc["threads"]:
            header = 'Thread %d "%s" (%s' % (thread["tid"], thread["name"], thread["state"])
            assert header in text, (header, text)
            for f in thread["frames"]:
                assert "    %s (%s:%d)" % (f["function"], f["file"], f["line"]) in text, (f, text)
        checked.append(proc["python"])
    return "Python " + ", ".join(checked)


@test
def top_and_dump_system_wide():
    with Workload("/usr/bin/python3.11", "named.py", "hot_alpha") as a, \
            Workload(sid("3.14"), "named.py", "hot_gamma") as c:
        doc = json.loads(dump(["-a", "--json"]))
        pids = {p["pid"]: p for p in doc["processes"]}
        assert a.pid in pids and c.pid in pids, sorted(pids)
        assert pids[c.pid]["python"].startswith("3.14"), pids[c.pid]
        with Tmux(["-a", "-r", "1000"]) as tmux:
            # By process, sorted by total time: each hot function with its pid.
            tmux.keys("g", "4")
            tmux.wait_for(lambda s: re.search(r"%d\s+hot_alpha" % a.pid, s) and
                          re.search(r"%d\s+hot_gamma" % c.pid, s))
            tmux.keys("q")
            tmux.wait_for(lambda s: "EXITED rc=0" in s)


@test
def dump_threads_of_pid_one():
    """Before 3.11 the tid comes from glibc's struct pthread, where, in a
    process that is PID 1 of its namespace, many a field holds 1."""
    old = harness.bullseye()
    old.available()
    argv = ["unshare", "--pid", "--fork", "--kill-child"] + old.argv("dump_threads.py", [])
    ns = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    try:
        assert ns.stdout.readline().strip() == "ready"
        inner = ns_child(ns.pid)
        wait_for(lambda: threads_in_blocking_calls(inner) >= 3, 60, "the threads to block")
        (proc,) = json.loads(dump(["-p", str(inner), "--json"]))["processes"]
        tasks = {int(t) for t in os.listdir("/proc/%d/task" % inner)}
    finally:
        ns.kill()
        ns.wait()
    tids = [t["tid"] for t in proc["threads"]]
    assert sorted(tids) == sorted(tasks), "threads %s, tasks %s" % (tids, sorted(tasks))
    return "%d threads, each its own tid" % len(tids)


@test
def dump_errors():
    expect_error(run_pybpf(["dump", "-p", str(free_pid())]), r"no running process with PID \d+")
    result = run_pybpf(["dump"])
    assert result.returncode == 2 and "nothing to dump" in result.stderr, result.stderr
