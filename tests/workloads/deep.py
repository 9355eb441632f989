"""A stack argv[1] Python frames deep (plus <module>), busy at the bottom."""
import sys

sys.setrecursionlimit(100000)


def descend(depth):
    if depth == 0:
        print("ready", flush=True)
        x = 0
        while True: x += 1  # BOTTOM
    return descend(depth - 1)


descend(int(sys.argv[1]) - 1)
