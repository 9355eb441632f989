"""A process that grows 40 MiB, then forks a child that grows 100 MiB of
its own and exits; the parent waits for it and exits too.  --mode memory
counts the child's growth from its parent's level (the pages it was born
with are not its growth)."""
import os

MIB = 1 << 20


def parent_grows():
    return [b"p" * MIB for _ in range(40)]  # PARENT


def child_grows():
    return [b"c" * MIB for _ in range(100)]  # CHILD


kept = parent_grows()
pid = os.fork()
if pid == 0:
    more = child_grows()
    os._exit(0)
os.waitpid(pid, 0)
