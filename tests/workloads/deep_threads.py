"""argv[1] threads, each busy argv[2] Python frames deep: samples of a
kilobyte-deep stack from every CPU, a flood for the ring buffer."""
import sys
import threading

sys.setrecursionlimit(100000)


def descend(depth):
    if depth == 0:
        x = 0
        while True: x += 1  # BOTTOM
    return descend(depth - 1)


for _ in range(int(sys.argv[1])):
    threading.Thread(target=descend, args=(int(sys.argv[2]) - 1,), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
