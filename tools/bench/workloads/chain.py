"""A chain of --length distinct functions over a CPU-bound leaf: every frame
of the stack is a different code object, as in real programs (the recursive
workloads repeat one).  The functions are made from one template, each with
its own name, so the chain's length is a parameter.  Stack depth at the leaf
(Python frames, module frame included) is --length + 5."""
import argparse

from _harness import counting_leaf, run

UNIT = 4000
CALL = "def {name}(n):\n    return {callee}(n)\n"


def make_chain(length, leaf):
    """The outermost function of LENGTH made ones, the innermost calling LEAF."""
    names = ["link_%02d" % i for i in range(length)]
    namespace = {"leaf": leaf}
    source = "".join(CALL.format(name=name, callee=callee)
                     for name, callee in zip(names, names[1:] + ["leaf"]))
    exec(compile(source, "chain_links.py", "exec"), namespace)
    return namespace[names[0]]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--length", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=300)
    a = ap.parse_args()
    chain = make_chain(a.length, counting_leaf("leaf"))

    def bench_work():
        for _ in range(a.rounds):
            chain(10 * UNIT)

    run(bench_work, length=a.length, rounds=a.rounds)


if __name__ == "__main__":
    main()
