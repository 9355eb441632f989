"""A chain of distinct functions over a CPU-burning leaf: every frame a
different code object, as in real programs.  The functions come from one
template, each with its own name (link_00 ... link_NN, file
"chain_links.py"), so the chain's length is a parameter.  Run as a script:
argv[1] functions (default 40) over spin() until killed.  The benchmark's
chain workload (tools/bench/workloads/chain.py) uses make_chain()."""
import sys
import time

CALL = "def {name}(n):\n    return {callee}(n)\n"


def make_chain(length, leaf):
    """The outermost of LENGTH functions made, the innermost calling LEAF."""
    names = ["link_%02d" % i for i in range(length)]
    namespace = {"leaf": leaf}
    source = "".join(CALL.format(name=name, callee=callee)
                     for name, callee in zip(names, names[1:] + ["leaf"]))
    exec(compile(source, "chain_links.py", "exec"), namespace)
    return namespace[names[0]]


if __name__ == "__main__":
    from spin import spin

    chain = make_chain(int(sys.argv[1]) if len(sys.argv) > 1 else 40, spin)
    print("ready", flush=True)
    while True:
        chain(time.monotonic() + 0.5)
