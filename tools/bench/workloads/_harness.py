"""Shared by the benchmark workloads (tools/bench/bench.py runs them).

Protocol: the workload prints "ready" and spins in standby() until a line
arrives on stdin (the benchmark attaches the profiler meanwhile, so the
profiler sees a busy target from its first moment), then does a FIXED
amount of work inside bench_work() and prints one JSON line with the wall
and CPU time of that work only.  Samples whose stack holds bench_work (or
bench_thread, in worker threads) are the timed phase's samples."""
import json
import os
import select
import sys
import time
import types


def standby():
    fd = sys.stdin.fileno()
    while True:
        r, _, _ = select.select([fd], [], [], 0)
        if r:
            os.read(fd, 4096)
            return
        x = 0
        for i in range(2000):
            x += i


def run(bench_work, **info):
    print("ready", flush=True)
    if os.environ.get("BENCH_NO_STANDBY") != "1":
        standby()
    w0, c0 = time.perf_counter(), time.process_time()
    bench_work()
    w1, c1 = time.perf_counter(), time.process_time()
    info.update(wall_s=w1 - w0, cpu_s=c1 - c0, python=sys.version.split()[0])
    print("result " + json.dumps(info), flush=True)


def _count_to(n):
    x = 0
    for i in range(n): x += i
    return x


def counting_leaf(name):
    """A function that counts to n, named `name`: every leaf of a workload
    runs this one body, so its CPU time is proportional to n whatever its
    name, and profilers tell the leaves apart by name (co_qualname from 3.11,
    co_name before)."""
    names = {"co_name": name}
    if hasattr(_count_to.__code__, "co_qualname"):
        names["co_qualname"] = name
    return types.FunctionType(_count_to.__code__.replace(**names), globals(), name)
