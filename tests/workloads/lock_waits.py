"""Wall-clock mode: a thread that waits for a threading.Lock (a PyMutex from
3.13, on free-threaded builds too) another thread holds while it sleeps.
Lines marked ACQUIRE and HOLD are asserted."""
import threading
import time

LOCK = threading.Lock()


def hold_forever():
    while True:
        with LOCK:
            time.sleep(0.2)  # HOLD
        time.sleep(0.001)


def wait_forever():
    while True:
        with LOCK:  # ACQUIRE
            pass


def main():
    threads = [threading.Thread(target=hold_forever, name="holder", daemon=True),
               threading.Thread(target=wait_forever, name="waiter", daemon=True)]
    threads[0].start()
    time.sleep(0.05)
    threads[1].start()
    print("ready", flush=True)
    print(" ".join(str(t.native_id) for t in threads), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
