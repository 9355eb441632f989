"""Many asyncio tasks for `pybpf dump --async`: COUNT tasks asleep in
sleeper() (named sleeper-N), and with "churn" a churner task that starts
short tasks (blip-N) as fast as they finish, so tasks come and go while
pybpf reads them."""
import asyncio
import itertools
import sys

COUNT = int(sys.argv[1])
CHURN = "churn" in sys.argv[2:]
NAMES = ("blip-%d" % n for n in itertools.count(1))


async def sleeper():
    await asyncio.sleep(3600)           # SLEEPER


async def blip():
    await asyncio.sleep(0)              # BLIP


# One line only: a churner read while it runs (a race the reader marks
# where it can see it) can only be at that line, or at its def.
async def churner():
    while True: await asyncio.create_task(blip(), name=next(NAMES))     # CHURN


async def main():
    tasks = [asyncio.ensure_future(sleeper()) for _ in range(COUNT)]
    for i, task in enumerate(tasks):
        task.set_name("sleeper-%d" % i)
    if CHURN:
        asyncio.ensure_future(churner()).set_name("churner")
    await asyncio.sleep(0.1)
    print("ready", flush=True)
    await asyncio.gather(*tasks)        # MAIN


if __name__ == "__main__":
    asyncio.run(main())
