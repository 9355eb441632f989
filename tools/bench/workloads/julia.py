"""Pure-Python Julia set: a fixed grid and iteration cap (--size)."""
import argparse

from _harness import run


def escape(zr, zi, cr, ci, cap):
    n = 0
    while n < cap and zr * zr + zi * zi < 4.0:
        zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
        n += 1
    return n


def julia(size, cap):
    cr, ci = -0.8, 0.156
    total = 0
    for y in range(size):
        zi = -1.5 + 3.0 * y / size
        for x in range(size):
            total += escape(-1.5 + 3.0 * x / size, zi, cr, ci, cap)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=300)
    ap.add_argument("--cap", type=int, default=100)
    a = ap.parse_args()
    run(lambda: julia(a.size, a.cap), size=a.size, cap=a.cap)


if __name__ == "__main__":
    main()
