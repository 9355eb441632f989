"""Time split between a generator's body and a coroutine's body, each
resumed from a driver function."""


def numbers():
    while True:
        x = 0
        for i in range(20000): x += i  # GEN-HOT
        yield x


class Step:
    def __await__(self):
        yield


async def crunch():
    while True:
        x = 0
        for i in range(20000): x += i  # CORO-HOT
        await Step()


def drive():
    gen, coro = numbers(), crunch()
    print("ready", flush=True)
    while True:
        next(gen)  # GEN-RESUME
        coro.send(None)  # CORO-RESUME


drive()
