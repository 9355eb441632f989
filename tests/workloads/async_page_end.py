"""An asyncio task whose object ends where a page never touched begins.

A probe read from the kernel cannot fault a page in: a sampler that reads
more of a task than the task's own bytes fails on every read of this one,
and cannot name it.  Tasks are made (each waiting on a future of its own)
until one lies so that the PAST bytes from its start reach into a page
that is mapped but not resident (mincore(2)), or not mapped at all; that
one is then woken and runs work() without ever yielding, so nothing more
is allocated and the page stays untouched.  Prints one line of JSON:
{"placed": true|false, "name": NAME, "address": A, "size": S}, then,
once the task runs, "running" and, on SIGUSR1, whether the page is still
untouched ("untouched" or "touched").
"""
import asyncio
import ctypes
import json
import mmap
import os
import signal

PAST = 256          # the most a sampler might read of a task from its start
TRIES = 5000        # tasks made at most before giving up on a placement
PAGE = mmap.PAGESIZE

libc = ctypes.CDLL(None, use_errno=True)
libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
vector = ctypes.create_string_buffer(1)


def untouched(page):
    """Whether the page at PAGE is not resident (or not mapped at all)."""
    if libc.mincore(page, PAGE, vector) != 0:
        return True
    return not (vector.raw[0] & 1)


def page_past(task):
    """The first page a read of PAST bytes of TASK reaches beyond the task's own, or None."""
    start = id(task)
    last_own = (start + type(task).__basicsize__ - 1) // PAGE
    last_read = (start + PAST - 1) // PAGE
    return last_read * PAGE if last_read > last_own else None


def work():
    x = 0
    for i in range(20000):
        x += i                          # WORK
    return x


state = {}
PLACED = b"placed\n"
NOT_PLACED = b"not placed\n"


def tell(signum, frame):
    """The page's state first: what is made to tell it may touch it."""
    now = untouched(state["page"])
    task = state["task"]
    os.write(1, (json.dumps({"placed": state["placed"], "untouched": now, "name": task.get_name(),
                             "address": id(task), "size": type(task).__basicsize__}) + "\n").encode())


async def candidate(last):
    """Runs on if this task is placed so (or is the last to be made); waits for ever if not."""
    task = asyncio.current_task()
    page = page_past(task)
    placed = page is not None and untouched(page)
    if not placed and not last:
        await asyncio.get_running_loop().create_future()
    state["task"] = task
    state["placed"] = placed
    state["page"] = page if placed else id(task) - id(task) % PAGE
    # Nothing made from here on: a word written is what may touch the page.
    os.write(1, PLACED if placed else NOT_PLACED)
    while True:
        work()                          # PAGE-END-WORK


async def main():
    signal.signal(signal.SIGUSR1, tell)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    kept = []
    for i in range(TRIES):
        kept.append(loop.create_task(candidate(i == TRIES - 1), name="candidate-%d" % i))
        # The task's first step: it runs on from there if placed.
        await asyncio.sleep(0)


if __name__ == "__main__":
    asyncio.run(main())
