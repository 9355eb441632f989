"""pybpf's demo workload: a small "web app" that renders pages, hashes
passwords and parses JSON in three threads, so the profile has something
to show in every view."""
import hashlib
import json
import threading
import time


def render_row(i):
    return "<tr><td>%d</td><td>%s</td></tr>" % (i, str(i * i).rjust(8))


def render_page(rows):
    return "<table>" + "".join(render_row(i) for i in range(rows)) + "</table>"


def hash_password(password, rounds=2000):
    digest = password.encode()
    for _ in range(rounds):
        digest = hashlib.sha256(digest).digest()
    return digest.hex()


def parse_payload(n):
    payload = json.dumps([{"id": i, "tags": ["a", "b"], "score": i / 3} for i in range(n)])
    return sum(item["score"] for item in json.loads(payload))


def worker(task, *args):
    while True:
        task(*args)


def main(seconds):
    threading.Thread(target=worker, args=(hash_password, "hunter2"), name="hasher", daemon=True).start()
    threading.Thread(target=worker, args=(parse_payload, 2000), name="parser", daemon=True).start()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        render_page(500)


if __name__ == "__main__":
    import sys
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 60)
