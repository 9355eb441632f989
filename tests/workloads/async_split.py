"""asyncio tasks with known CPU shares, for `record --async`.

main awaits gather() of the tasks "boss", "beta" and an unnamed one;
"boss" awaits the task "alpha".  From 3.11 "beta" is a TaskGroup's task,
the group's of the task "group", which main gathers instead.  alpha, beta and the unnamed task run the
same code: alpha does 6 units of work per turn, beta 3, and the unnamed
task 1, each yielding to the loop between turns, so of the CPU time spent
in work() about 60% is alpha's, 30% beta's and 10% the unnamed task's.
How close depends on the machine (a task doing one unit a turn meets its
caches cold more often), so each task's CPU time in work() is measured
here too (thread_time around each call), and printed as JSON on SIGUSR1:
the truth a profile is compared with.  A
second thread runs an event loop of its own with the task "elsewhere",
which does 10 units every 50 ms.  It runs while the main loop's task
"breather" blocks in time.sleep() (without the GIL) each turn: threads
contending for the GIL hand it over in step with the timer ticks, which
skews which task the ticks meet, and may starve the second thread.  Prints "ready", then the unnamed
task's name and main's.
"""
import asyncio
import json
import os
import random
import signal
import threading
import time


def work():
    x = 0
    for i in range(20000):
        x += i                          # WORK
    return x


# Task name -> nanoseconds of its thread's CPU time spent in work().
spent = {}


def tell_spent(signum, frame):
    os.write(1, (json.dumps(spent) + "\n").encode())


async def share(units):
    name = asyncio.current_task().get_name()
    spent[name] = 0
    # Work only once the tasks that await this one do: alpha's first step
    # runs before boss's, in which boss awaits alpha.
    await asyncio.sleep(0)
    while True:
        for _ in range(units):
            start = time.thread_time_ns()
            work()                      # SHARE-WORK
            spent[name] += time.thread_time_ns() - start
        await asyncio.sleep(0)          # SHARE-YIELD


async def breather():
    # A random length: turns of a fixed length could fall in step with the
    # sampling ticks (or, on a loaded machine, with preemption) and skew
    # which task they meet.
    pick = random.Random(1)
    while True:
        time.sleep(pick.uniform(0.001, 0.009))     # BREATHE
        await asyncio.sleep(0)


async def now_and_then():
    while True:
        for _ in range(10):
            work()                      # ELSEWHERE-WORK
        await asyncio.sleep(0.05)


def other_loop():
    loop = asyncio.new_event_loop()
    task = loop.create_task(now_and_then())
    task.set_name("elsewhere")
    loop.run_until_complete(task)


async def boss(task):
    await task                          # BOSS-AWAIT


async def group():
    async with asyncio.TaskGroup() as tg:                   # GROUP-WITH
        tg.create_task(share(3)).set_name("beta")      # GROUP-BETA


async def main():
    alpha = asyncio.ensure_future(share(6))
    alpha.set_name("alpha")
    chief = asyncio.ensure_future(boss(alpha))
    chief.set_name("boss")
    if hasattr(asyncio, "TaskGroup"):
        beta = asyncio.ensure_future(group())
        beta.set_name("group")
    else:
        beta = asyncio.ensure_future(share(3))
        beta.set_name("beta")
    unnamed = asyncio.ensure_future(share(1))
    pause = asyncio.ensure_future(breather())
    pause.set_name("breather")
    # Every task's first step before "ready": boss awaits alpha, and the
    # TaskGroup is made (3.11-3.13: the profiler finds its layout then).
    await asyncio.sleep(0)
    print("ready", flush=True)
    print(unnamed.get_name(), flush=True)
    print(asyncio.current_task().get_name(), flush=True)
    await asyncio.gather(chief, beta, unnamed, pause)     # MAIN-GATHER


if __name__ == "__main__":
    signal.signal(signal.SIGUSR1, tell_spent)
    threading.Thread(target=other_loop, name="other-loop", daemon=True).start()
    asyncio.run(main())
