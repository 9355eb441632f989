"""asyncio tasks that wait, for --mode wall --async: "sleepy" naps in a
loop, "waiter" awaits it (`await task`), the main task awaits the waiter;
"busy" computes in steps, so the loop is neither idle nor busy all the
time.  Prints ready, then the main task's name."""
import asyncio


async def nap():
    while True:
        await asyncio.sleep(0.05)       # NAP


async def waiter(task):
    await task                          # AWAIT


def compute(n):
    total = 0
    for i in range(n):
        total += i * i                  # COMPUTE
    return total


async def busy():
    while True:
        compute(20000)
        await asyncio.sleep(0.01)       # BUSY


async def main():
    sleepy = asyncio.create_task(nap(), name="sleepy")
    waiting = asyncio.create_task(waiter(sleepy), name="waiter")
    asyncio.create_task(busy(), name="busy")
    print("ready", flush=True)
    print(asyncio.current_task().get_name(), flush=True)
    await waiting                       # MAIN


asyncio.run(main())
