#!/usr/bin/env python3
"""pybpf installed as users install it (issue 17): the man page and bash
completion against every command's own --help, `make install` and
`make uninstall` into a DESTDIR, the portable binary run inside a Debian sid
tree (a newer glibc, no libbpf), and the Debian package built with
dpkg-buildpackage, passed by lintian, installed with apt into a fresh
bookworm tree made with mmdebstrap and run there: --version, and a real
recording of a Python process.

  python3 tests/packaging/packaging.py --pybpf build/pybpf --build build"""
import glob
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import test  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COMMANDS = ["record", "report", "diff", "top", "dump"]
IN_TREE = os.path.join(HERE, "in_tree.sh")
# A function a recording must find, run by the tree's own Python.
BUSY = "def busy_in_tree():\n    x = 0\n    for i in range(3 * 10**7): x += i\nbusy_in_tree()\n"
RECORD_AND_PRINT = "import subprocess, sys\nsubprocess.run(%r, check=True)\nsys.stdout.write(open('/tmp/x.json').read())\n"


def run(argv, **kwargs):
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=600, **kwargs)


def long_options(command):
    result = run([harness.PYBPF, command, "--help"])
    assert result.returncode == 0, result.stderr
    return sorted(set(re.findall(r"^\s+(?:-\w, )?(--[\w-]+)", result.stdout, re.M)) - {"--help", "--usage"})


def in_tree(tree, files, *command):
    return run(["unshare", "--mount", "--propagation", "private", "sh", IN_TREE, tree, " ".join(files)] +
               list(command))


@test
def man_page_documents_every_option():
    page = os.path.join(ROOT, "tools", "man", "pybpf.1")
    rendered = run(["man", "--warnings", "-E", "UTF-8", "-l", page], env=dict(os.environ, MANWIDTH="80"))
    assert rendered.returncode == 0 and not rendered.stderr.strip(), rendered.stderr
    text = rendered.stdout
    missing = []
    for command in COMMANDS:
        section = text[text.index("\n" + command.upper() + "\n"):]
        missing += ["%s %s" % (command, o) for o in long_options(command) if o not in section]
    assert not missing, "options --help has and the man page does not: %s" % missing
    assert "EXAMPLES" in text and "pybpf diff before.pybpf after.pybpf" in text
    return "%d commands, every option; man renders it without a warning" % len(COMMANDS)


def complete(*words):
    """What bash completes for the command line WORDS (the last one being typed)."""
    script = ". %s; COMP_WORDS=(%s); COMP_CWORD=%d; _pybpf; printf '%%s\\n' \"${COMPREPLY[@]}\"" % (
        os.path.join(ROOT, "tools", "completion", "pybpf.bash"),
        " ".join("'%s'" % w for w in ("pybpf",) + words), len(words))
    result = run(["bash", "-c", script])
    assert result.returncode == 0, result.stderr
    return [w for w in result.stdout.split("\n") if w]


@test
def bash_completion_follows_the_commands():
    assert complete("") == ["record", "report", "diff", "top", "dump", "--help", "--version"]
    for command in COMMANDS:
        got = set(complete(command, "--"))
        assert got == set(long_options(command)) | {"--help"}, (command, sorted(got ^ (set(long_options(command)) | {"--help"})))
    assert complete("record", "-f", "h") == ["heatmap"]
    assert complete("record", "--mode", "") == ["cpu", "wall", "memory"]
    assert complete("top", "--mode", "") == ["cpu", "memory"]
    with harness.Workload("/usr/bin/python3.11", "split.py") as w:
        pids = complete("record", "-p", str(w.pid)[:-1])
        assert str(w.pid) in pids, (w.pid, pids)
    with subprocess.Popen(["sleep", "60"]) as other:
        try:
            assert str(other.pid) not in complete("record", "-p", ""), "a non-Python PID offered"
        finally:
            other.kill()
    return "commands, options of all %d commands, formats, modes, Python PIDs" % len(COMMANDS)


@test
def install_and_uninstall():
    dest = os.path.join(harness.TMP, "destdir")
    make = ["make", "-C", ROOT, "--no-print-directory", "BUILD=%s" % harness.BUILD, "PREFIX=/usr", "DESTDIR=" + dest]
    result = run(make + ["install"])
    assert result.returncode == 0, result.stdout + result.stderr
    files = sorted(os.path.relpath(p, dest) for p in glob.glob(dest + "/**", recursive=True) if os.path.isfile(p))
    assert files == ["usr/bin/pybpf", "usr/share/bash-completion/completions/pybpf", "usr/share/doc/pybpf/LICENSE",
                     "usr/share/doc/pybpf/README.md", "usr/share/man/man1/pybpf.1"], files
    version = run([os.path.join(dest, "usr/bin/pybpf"), "--version"])
    assert re.fullmatch(r"pybpf \d+\.\d+\.\d+ \(commit [0-9a-f]{12}(-dirty)?\)\n", version.stdout), version.stdout
    result = run(make + ["uninstall"])
    assert result.returncode == 0, result.stdout + result.stderr
    left = [p for p in glob.glob(dest + "/**", recursive=True) if os.path.isfile(p)]
    assert not left, left
    return version.stdout.strip()


@test
def portable_binary_runs_in_a_sid_tree():
    static = os.path.join(harness.BUILD, "pybpf-static")
    result = run(["make", "-C", ROOT, "--no-print-directory", "BUILD=%s" % harness.BUILD, "static"])
    assert result.returncode == 0, result.stdout + result.stderr
    libs = run(["ldd", static]).stdout
    needed = sorted(re.findall(r"^\s*(\S+\.so[.\d]*)", libs, re.M))
    assert all(re.match(r"(linux-vdso|libc|libm|ld-linux-x86-64)\.so", os.path.basename(lib)) for lib in needed), needed
    tree = os.path.join(harness.BUILD, "pythons", "sid")
    assert not glob.glob(tree + "/usr/lib/*/libbpf.so*"), "the sid tree has a libbpf: the test proves nothing"
    glibc = run(["chroot", tree, "/usr/bin/python3.13", "-c",
                 "import os; print(os.confstr('CS_GNU_LIBC_VERSION'))"]).stdout.strip()
    host = os.confstr("CS_GNU_LIBC_VERSION")
    assert [int(x) for x in glibc.split()[-1].split(".")] > [int(x) for x in host.split()[-1].split(".")], \
        "the sid tree's %s is not newer than the host's %s" % (glibc, host)
    version = in_tree(tree, [static], "/tmp/pybpf-static", "--version")
    assert version.returncode == 0 and version.stdout.startswith("pybpf "), version.stdout + version.stderr
    # The tree has no shell: its Python runs pybpf, then prints the profile.
    result = in_tree(tree, [static], "/usr/bin/python3.13", "-c", RECORD_AND_PRINT % (
        ["/tmp/pybpf-static", "record", "-q", "-r", "1000", "-o", "/tmp/x.json", "--", "/usr/bin/python3.13", "-c", BUSY]))
    assert result.returncode == 0, result.stderr
    names = {frame["name"] for frame in json.loads(result.stdout)["shared"]["frames"]}
    assert "busy_in_tree" in names, sorted(names)[:20]
    return "needs only %s; ran under %s (built on %s) and recorded python3.13 there" % (
        ", ".join(os.path.basename(n) for n in needed), glibc, host)


@test
def debian_package_installs_and_runs_in_a_fresh_bookworm_tree():
    result = run(["make", "-C", ROOT, "--no-print-directory", "BUILD=%s" % harness.BUILD, "deb"])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    deb = result.stdout.strip().split("\n")[-1]
    assert deb.endswith(".deb") and os.path.exists(deb), result.stdout[-500:]
    assert not re.search(r"^E: ", result.stderr, re.M), result.stderr   # lintian: no errors
    depends = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    for lib in ("libbpf1", "libelf1", "zlib1g", "libc6"):
        assert lib in depends, depends
    tree = os.path.join(harness.TMP, "bookworm")
    mirror = run(["sh", "-c", ". %s; debian_mirror" % os.path.join(ROOT, "tools", "debian-tree.sh")]).stdout.strip()
    made = run(["mmdebstrap", "--quiet", "--variant=apt", "--include=python3-minimal", "--include=" + deb,
                "--hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount",
                "--dpkgopt=path-exclude=/usr/share/locale/*", "bookworm", tree, mirror])
    try:
        assert made.returncode == 0, made.stderr[-3000:]
        assert os.path.exists(os.path.join(tree, "usr/bin/pybpf")), "apt did not install pybpf"
        assert os.path.exists(os.path.join(tree, "usr/share/man/man1/pybpf.1.gz"))
        version = in_tree(tree, [], "pybpf", "--version")
        assert version.returncode == 0 and version.stdout.startswith("pybpf "), version.stdout + version.stderr
        result = in_tree(tree, [], "sh", "-c",
                         "pybpf record -q -r 1000 -o /tmp/x.json -- python3 -c '%s' && cat /tmp/x.json" % BUSY)
        assert result.returncode == 0, result.stderr
        names = {frame["name"] for frame in json.loads(result.stdout)["shared"]["frames"]}
        assert "busy_in_tree" in names, sorted(names)[:20]
        # The agent's unit, installed but not enabled, and its settings file.
        units = [os.path.join(tree, d, "systemd/system/pybpf.service") for d in ("lib", "usr/lib")]
        unit = next((u for u in units if os.path.exists(u)), None)
        assert unit, "no pybpf.service in the package"
        assert not os.path.exists(os.path.join(tree, "etc/systemd/system/multi-user.target.wants/pybpf.service"))
        assert os.path.exists(os.path.join(tree, "etc/default/pybpf"))
        with open(unit) as f:
            (exec_start,) = [l.split("=", 1)[1] for l in f.read().splitlines() if l.startswith("ExecStart=")]
        # Its command as systemd runs it (the URL set, no more options), for a second: no collector
        # there, so what it may have gathered is counted unsent, and it ends as the unit's stop would.
        command = exec_start.replace("${PYBPF_OTLP_URL}", "http://127.0.0.1:9").replace("$PYBPF_OPTIONS", "")
        agent = in_tree(tree, [], "sh", "-c", command + " -d 1 --otlp-flush 0")
        assert agent.returncode == 0, (command, agent.returncode, agent.stderr)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    return "%s: lintian clean of errors; apt installed it with %s; recorded python3 there" % (
        os.path.basename(deb), depends.strip())


if __name__ == "__main__":
    harness.main(tests=harness.TESTS, matrix=[], suite="packaging")
