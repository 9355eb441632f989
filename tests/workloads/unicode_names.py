"""Functions whose names exercise Latin-1, UCS-2 and UCS-4 strings."""


def fünf(n):
    x = 0
    for i in range(n): x += i
    return x


def 函数(n):
    return fünf(n)


def 𠀀𠀁(n):
    return 函数(n)


def main():
    print("ready", flush=True)
    while True:
        𠀀𠀁(20000)


main()
