"""Code-object churn: thousands of short-lived functions made by exec().
Even-numbered functions call spin_even from their line 2, odd ones call
spin_odd from their line 3, so a sample whose f_N frame is attributed to
the wrong code object shows up as a parity or line mismatch.  The allocator
hands freed code objects' memory to the next ones, so addresses are reused;
on SIGTERM the script writes how many functions it made and how many
distinct code addresses they had to the file given as argv[1]."""
import signal
import sys

WORK = 1500


def spin_even(n):
    x = 0
    for i in range(n): x += i
    return x


def spin_odd(n):
    x = 0
    for i in range(n): x += i
    return x


EVEN = "def f_{0:06d}(n):\n    return spin_even(n)\n"
ODD = "def f_{0:06d}(n):\n    x = 1\n    return spin_odd(n)\n"

made = 0
addresses = set()


def report(*_):
    with open(sys.argv[1], "w") as f:
        f.write("%d %d\n" % (made, len(addresses)))
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
print("ready", flush=True)
while True:
    namespace = {"spin_even": spin_even, "spin_odd": spin_odd}
    source = (EVEN if made % 2 == 0 else ODD).format(made)
    exec(compile(source, "<churn-%d>" % made, "exec"), namespace)
    fn = namespace["f_%06d" % made]
    addresses.add(id(fn.__code__))
    fn(WORK)
    made += 1
    del fn, namespace
