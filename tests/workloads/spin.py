"""The CPU-burning loop the workloads share: their own functions call it, so
a profile tells them apart by the caller under spin()."""
import time


def spin(deadline):
    x = 0
    while time.monotonic() < deadline:
        x += 1
    return x
