"""Calls as tight as they come, from callers whose frames alternate in size,
directly and through C (map, sorted's key): the eval loop links each new
frame in several stores, so samples land between them, and a frame that
takes the place of a different-sized one finds the old one's links there.
Every stack the program has is one of STACKS in torn_stacks.py; a sample
showing anything else as a whole stack is a lie."""


def leaf(x):
    return x


def small(n):
    for i in range(n):
        leaf(i)


def large(n):
    # Locals that make this frame much larger than small's.
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = a8 = a9 = 0
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = b8 = b9 = 0
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = 0
    for i in range(n):
        leaf(i)
    return a0 + b0 + c0


def through_c(n):
    # Each call of leaf enters the eval loop from C.
    list(map(leaf, range(n)))
    sorted(range(n), key=leaf)


def main():
    print("ready", flush=True)
    while True:
        small(20)
        large(20)
        through_c(20)


if __name__ == "__main__":
    main()
