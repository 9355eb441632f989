"""System-wide (-a) and launch (-- CMD) modes."""
import json
import os
import re
import subprocess
import time

import harness
from harness import (Interpreter, WORKLOADS, Workload, heatmap_data, hot, interpreters, ns_child, processes_in, pyenv_or_bullseye, record_all, run_pybpf, sid, test, validate)


# ---- system-wide (-a) and launch (-- CMD) modes -----------------------------

@test
def system_wide_finds_every_python():
    static, shared, container = Interpreter("", "/usr/bin/python3.11"), pyenv_or_bullseye(), sid("3.14")
    pidns = sid("3.13")
    for interp in (shared, container, pidns):
        interp.available()
    late = {}

    def start_late():
        time.sleep(0.5)
        late["w"] = Workload(static, "named.py", "hot_delta", 1.5).__enter__()

    pidns_argv = ["unshare", "--pid", "--fork", "--kill-child"] + pidns.argv("named.py", ["hot_epsilon"])
    with Workload(static, "named.py", "hot_alpha") as a, Workload(shared, "named.py", "hot_beta") as b, \
            Workload(container, "named.py", "hot_gamma") as c:
        ns = subprocess.Popen(pidns_argv, stdout=subprocess.PIPE, text=True)
        try:
            assert ns.stdout.readline().strip() == "ready"
            inner = ns_child(ns.pid)
            doc, err = record_all(4, during=start_late)
        finally:
            ns.kill()
            ns.wait()
            if "w" in late:
                late["w"].__exit__(None)
    found = processes_in(doc)
    hot(found, a.pid, "hot_alpha")
    hot(found, b.pid, "hot_beta")
    names = hot(found, c.pid, "hot_gamma")
    assert "Python 3.14." in names[0], names
    late_names = hot(found, late["w"].pid, "hot_delta")      # started after attaching, lived 1.5 s
    assert "(exited)" in err and str(late["w"].pid) in err, err
    ns_names = hot(found, inner, "hot_epsilon")
    assert re.search(r"\[pid %d \(1 in its namespace\), Python 3\.13" % inner, ns_names[0]), ns_names
    return "%d processes" % len(found)


@test
def system_wide_sees_a_process_started_later():
    """record -a with one interpreter (the kernel matrix's case): a Python
    started after pybpf attached, and gone before the recording ends (which
    waits for it, however slow the machine)."""
    static = Interpreter("", "/usr/bin/python3.11")
    late = {}

    def start_late():
        late["w"] = Workload(static, "named.py", "hot_delta", 1.5).__enter__()
        late["w"].proc.wait(timeout=60)

    with Workload(static, "named.py", "hot_alpha") as a:
        try:
            doc, err = record_all(None, during=start_late)
        finally:
            if "w" in late:
                late["w"].__exit__(None)
    found = processes_in(doc)
    hot(found, a.pid, "hot_alpha")
    hot(found, late["w"].pid, "hot_delta")
    assert "(exited)" in err and str(late["w"].pid) in err, err


@test
def system_wide_filters():
    static, container = Interpreter("", "/usr/bin/python3.11"), sid("3.14")
    container.available()
    cgroup = "pybpf-test-%d" % os.getpid()
    cgdir = "/sys/fs/cgroup/pids/" + cgroup if os.path.isdir("/sys/fs/cgroup/pids") else "/sys/fs/cgroup/" + cgroup
    os.makedirs(cgdir, exist_ok=True)
    try:
        with Workload(static, "named.py", "hot_alpha") as a, Workload(container, "named.py", "hot_gamma") as c, \
                Workload(static, "named.py", "hot_beta") as b:
            with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
                f.write(str(b.pid))
            by_comm = processes_in(record_all(1, ["--comm", "python3.14"])[0])
            by_pid = processes_in(record_all(1, ["-p", str(a.pid), "-p", str(c.pid)])[0])
            by_cgroup = processes_in(record_all(1, ["--cgroup", cgroup])[0])
    finally:
        os.rmdir(cgdir)
    assert set(by_comm) == {c.pid}, sorted(by_comm)
    assert set(by_pid) == {a.pid, c.pid}, sorted(by_pid)
    assert set(by_cgroup) == {b.pid}, sorted(by_cgroup)


@test
def system_wide_process_cap():
    static = Interpreter("", "/usr/bin/python3.11")
    with Workload(static, "named.py", "hot_alpha") as a, Workload(static, "named.py", "hot_beta") as b:
        doc, err = record_all(1, ["--max-processes", "1", "-p", str(a.pid), "-p", str(b.pid)])
    assert "warning: already profiling 1 processes" in err and "raise --max-processes" in err, err
    assert len(processes_in(doc)) == 1


def launch(extra, script_args, interp="/usr/bin/python3.11", env=None):
    out = os.path.join(harness.TMP, "launch-%d.json" % len(os.listdir(harness.TMP)))
    result = subprocess.run([harness.PYBPF, "record", "-r", "1000", "-o", out] + extra +
                            ["--", interp, os.path.join(WORKLOADS, "workers.py")] + script_args,
                            capture_output=True, text=True, timeout=60, env=env)
    validate(out)
    return result, json.load(open(out, encoding="utf-8")), out


def functions_by_process(doc):
    return {pid: {n for n in weight if n in ("worker_one", "worker_two", "parent_work")}
            for pid, (_, weight) in processes_in(doc).items()}


@test
def launch_with_subprocesses():
    for method in ("fork", "spawn"):
        result, doc, _ = launch(["--subprocesses"], ["1.5", method])
        assert result.returncode == 3, "exit %d, expected the command's 3: %s" % (result.returncode, result.stderr)
        funcs = sorted(f for fs in functions_by_process(doc).values() for f in fs)
        assert funcs == ["parent_work", "worker_one", "worker_two"], (method, functions_by_process(doc))
        for pid, fs in functions_by_process(doc).items():
            assert len(fs) <= 1, "process %d mixes %s" % (pid, fs)


@test
def launch_without_subprocesses():
    result, doc, _ = launch([], ["1.5", "fork"])
    assert result.returncode == 3, result.stderr
    by_process = functions_by_process(doc)
    assert list(by_process.values()) == [{"parent_work"}], by_process


@test
def launch_runs_as_the_sudo_user():
    out = os.path.join(harness.TMP, "sudo.json")
    result = subprocess.run([harness.PYBPF, "record", "-o", out, "--", "/usr/bin/python3.11", "-c",
                             "import os; print(os.getuid(), os.getgid())"],
                            capture_output=True, text=True, timeout=60,
                            env=dict(os.environ, SUDO_UID="65534", SUDO_GID="65534"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["65534", "65534"], result.stdout
    st = os.stat(out)
    assert (st.st_uid, st.st_gid) == (65534, 65534), (st.st_uid, st.st_gid)


@test
def launch_missing_command():
    result = run_pybpf(["record", "-o", os.path.join(harness.TMP, "x.json"), "--", "/nonexistent/python"])
    assert result.returncode == 127, (result.returncode, result.stderr)
    assert "cannot run /nonexistent/python" in result.stderr, result.stderr


@test
def heat_map_sources_come_from_inside_the_container():
    interp = next(i for i in interpreters() if i.pivot)
    interp.available()
    host_dir, seen_dir = interp.script_dir()
    seen = os.path.join(seen_dir, "split.py")
    assert not os.path.exists(seen), "%s exists on the host too: the test could not tell them apart" % seen
    out = os.path.join(harness.TMP, "container.html")
    with Workload(interp, "split.py") as w:
        # Changed after the start: the page must hold the file as the container has it now.
        marker = "# only inside the container: %d" % w.pid
        with open(os.path.join(host_dir, "split.py"), "a", encoding="utf-8") as f:
            f.write(marker + "\n")
        result = run_pybpf(["record", "-q", "-p", str(w.pid), "-d", "1", "-o", out])
    assert result.returncode == 0, result.stderr
    files = {f["name"]: f for f in heatmap_data(out)["files"]}
    assert seen in files, list(files)
    assert files[seen]["error"] is None and files[seen]["src"][-1] == marker, (files[seen]["error"], files[seen]["src"][-2:])
    return "%s read inside its mount namespace (%d lines)" % (seen, len(files[seen]["src"]))
