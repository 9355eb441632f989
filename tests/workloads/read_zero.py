"""Almost all of its time in the kernel: reader() reads /dev/zero a
megabyte at a time (zeroing it is the kernel's work, not Python's)."""
import os

fd = os.open("/dev/zero", os.O_RDONLY)


def reader():
    while True:
        os.read(fd, 1 << 20)  # READ


print("ready", flush=True)
reader()  # MAIN
