"""Known CPU split: leaf_a 60%, leaf_b 30%, leaf_c 10%, under a 21-deep
recursive prefix.  The three leaves are the same code, so time is
proportional to the iteration counts.  Lines marked HOT-x are asserted."""
import sys

UNIT = 4000


def leaf_a(n):
    x = 0
    for i in range(n): x += i  # HOT-A
    return x


def leaf_b(n):
    x = 0
    for i in range(n): x += i  # HOT-B
    return x


def leaf_c(n):
    x = 0
    for i in range(n): x += i  # HOT-C
    return x


def recurse(depth, fn, n):
    if depth == 0:
        return fn(n)  # CALL-LEAF
    return recurse(depth - 1, fn, n)  # CALL-RECURSE


def main():
    print("ready", flush=True)
    while True:
        recurse(20, leaf_a, 6 * UNIT)  # CALL-A
        recurse(20, leaf_b, 3 * UNIT)  # CALL-B
        recurse(20, leaf_c, 1 * UNIT)  # CALL-C


if __name__ == "__main__":
    main()
