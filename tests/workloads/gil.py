"""GIL contention: two threads spin in Python (each runs only while it
holds the GIL), and one hashes a large buffer in C with the GIL released
(on a CPU, but not holding it).  The buffer is large (a hash takes about a
hundred milliseconds) so that the hasher's waits for the GIL between two
hashes, however long two spinners make them on a busy machine, are a small
part of its time."""
import hashlib
import threading

DATA = b"x" * (64 << 20)


def python_spin():
    x = 0
    while True:
        x += 1  # PY-SPIN


def hash_loop():
    while True:
        hashlib.sha256(DATA).digest()  # HASH


def main():
    for target, name in ((python_spin, "spin_1"), (python_spin, "spin_2"), (hash_loop, "hasher")):
        threading.Thread(target=target, name=name, daemon=True).start()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
