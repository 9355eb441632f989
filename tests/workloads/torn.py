"""Frames that change as fast as they can: every call recurses to a new
random depth, generators are made and exhausted at the bottom, and the
function at the top is compiled anew each time and freed after one call,
so its code object is often gone before pybpf reads it."""
import random
import sys

sys.setrecursionlimit(10000)
SOURCE = "def top(n):\n    return recurse(n)\n"


def numbers(n):
    for i in range(n):
        yield i


def recurse(n):
    if n:
        return recurse(n - 1)
    return sum(numbers(random.randint(1, 50)))


print("ready", flush=True)
made = 0
while True:
    namespace = {"recurse": recurse}
    exec(compile(SOURCE, "<torn-%d>" % made, "exec"), namespace)
    namespace["top"](random.randint(0, 300))
    made += 1
