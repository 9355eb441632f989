"""asyncio tasks in a known tree, for `pybpf dump --async`.

main awaits gather(worker-a, worker-b); worker-a awaits the task "child",
which awaits leaf_sleep(), asleep; worker-b and an unnamed task sleep; on
3.11+ "grouped" waits for its TaskGroup's member-1 and member-2; "spinner"
runs (burns CPU, never yields) once everything else is suspended; a second
thread runs a loop of its own with the task "thread-task" asleep in it.
"""
import asyncio
import threading

HAS_TASKGROUP = hasattr(asyncio, "TaskGroup")


def burn():
    x = 0
    while True:
        x += 1          # BURN


async def spinner():
    burn()              # SPIN


async def leaf_sleep():
    await asyncio.sleep(3600)           # LEAF-SLEEP


async def child():
    await leaf_sleep()                  # CHILD-AWAIT


async def worker_a():
    task = asyncio.ensure_future(child())
    task.set_name("child")
    await task                          # WORKER-A-AWAIT


async def worker_b():
    await asyncio.sleep(3600)           # WORKER-B-SLEEP


async def group_member():
    await asyncio.sleep(3600)           # GROUP-MEMBER


async def grouped():
    async with asyncio.TaskGroup() as group:    # GROUP-WAIT
        group.create_task(group_member(), name="member-1")
        group.create_task(group_member(), name="member-2")


async def thread_task():
    await asyncio.sleep(3600)           # THREAD-SLEEP


def other_loop(started):
    async def run():
        task = asyncio.ensure_future(thread_task())
        task.set_name("thread-task")
        started.set()
        await task
    asyncio.run(run())


def named(coro, name):
    task = asyncio.ensure_future(coro)
    task.set_name(name)
    return task


async def main():
    started = threading.Event()
    threading.Thread(target=other_loop, args=(started,), name="loop-thread", daemon=True).start()
    started.wait()
    a, b = named(worker_a(), "worker-a"), named(worker_b(), "worker-b")
    asyncio.ensure_future(worker_b())           # unnamed: Task-N
    if HAS_TASKGROUP:
        named(grouped(), "grouped")
    # Every task above starts and suspends (the tasks they start too) ...
    await asyncio.sleep(0.2)
    # ... before the spinner takes the loop for good (it runs next round).
    named(spinner(), "spinner")
    print("ready", flush=True)
    await asyncio.gather(a, b)                  # MAIN-GATHER


if __name__ == "__main__":
    asyncio.run(main())
