"""Grows its resident memory by known amounts at known lines, once it is
sent SIGUSR1: first in two threads at once,

  TOGETHER-A  six 40 MiB bytes objects   } at the same time, each past
  TOGETHER-B  two 40 MiB bytes objects   } glibc's largest mmap threshold
                                           (32 MiB), so each is new memory

then in turn in four threads:

  BIG     200 MiB of 4 MiB bytes objects, kept
  SMALL   about 50 MiB of small str objects, kept
  REUSE   a 20 MiB buffer made and freed five times (counted once)
  GROW    the BIG objects freed (the process shrinks), then 240 MiB made
          again: only what goes past the peak before it is growth

Each phase in turn's truth is how far it took the process's peak resident memory
(RssAnon + RssShmem, read after every step; "anon" false: all of its
resident memory's high-water mark), printed as one JSON line
before "done"; then it sleeps until killed.
"""
import json
import os
import resource
import signal
import threading
import time

MIB = 1 << 20
CHUNK = 4 * MIB
peak = [0]


def resident():
    """RssAnon + RssShmem; in a chroot without /proc, the high-water mark of
    all resident memory (its file pages change little meanwhile)."""
    try:
        with open("/proc/self/status") as f:
            fields = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
    except FileNotFoundError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return sum(int(fields[key].split()[0]) * 1024 for key in ("RssAnon", "RssShmem"))


def note():
    peak[0] = max(peak[0], resident())


def big(kept):
    for _ in range(50):
        kept.append(b"x" * CHUNK)  # BIG
        note()


def small(kept):
    for i in range(600000):
        kept.append("%030d" % i)  # SMALL
        if i % 10000 == 0:
            note()
    note()


def reuse(kept):
    for _ in range(5):
        buf = b"y" * (20 * MIB)  # REUSE
        note()
        del buf


def grow(kept):
    del kept[:]
    note()
    for _ in range(60):
        kept.append(b"z" * CHUNK)  # GROW
        note()


def together_a(kept, start):
    start.wait()
    for _ in range(6):
        kept.append(b"a" * (40 * MIB))  # TOGETHER-A


def together_b(kept, start):
    start.wait()
    for _ in range(2):
        kept.append(b"b" * (40 * MIB))  # TOGETHER-B


def at_once(kept, truth):
    """The two TOGETHER threads, started at once: their truth is what they
    made (new memory), as the process's peak rose first from here."""
    start = threading.Barrier(2)
    pair = [threading.Thread(target=fn, args=(kept, start), name=name)
            for fn, name in ((together_a, "together-a"), (together_b, "together-b"))]
    for thread in pair:
        thread.start()
    for thread in pair:
        thread.join()
    note()
    truth.update({"TOGETHER-A": 6 * 40 * MIB, "TOGETHER-B": 2 * 40 * MIB})


def phase(name, fn, kept, truth):
    def run():
        note()
        before = peak[0]
        fn(kept)
        note()
        truth[name] = peak[0] - before
    thread = threading.Thread(target=run, name=name.lower())
    thread.start()
    thread.join()


def main():
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    note()
    truth = {"start": peak[0], "anon": os.path.exists("/proc/self/status")}
    print("ready", flush=True)
    signal.sigwait({signal.SIGUSR1})
    big_objects, small_objects, pair_objects = [], [], []
    at_once(pair_objects, truth)
    phase("BIG", big, big_objects, truth)
    phase("SMALL", small, small_objects, truth)
    phase("REUSE", reuse, [], truth)
    phase("GROW", grow, big_objects, truth)
    truth["peak"] = peak[0]
    truth["end"] = resident()
    print(json.dumps(truth), flush=True)
    print("done", flush=True)
    while True:
        time.sleep(60)


main()
