"""GIL contention: two threads spin in Python (each runs only while it
holds the GIL), and one hashes a large buffer in C with the GIL released
(on a CPU, but not holding it)."""
import hashlib
import threading

DATA = b"x" * (4 << 20)


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
