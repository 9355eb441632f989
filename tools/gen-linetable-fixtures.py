#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write line-table fixtures for tests/unit/test_linetable.c.

Usage: PYTHON tools/gen-linetable-fixtures.py OUTFILE

Compiles a synthetic source full of awkward line-number patterns plus a few
stdlib modules with the running interpreter (3.8+, stdlib only), walks every
nested code object and writes, for each one, its raw line table and the line
(3.11+: and start column) CPython itself reports for every instruction offset:

    # python X.Y.Z
    # source NAME                       (comment: which source follows)
    code NAME FIRSTLINENO FORMAT HEX    (spaces in NAME become "_";
                                         HEX is "-" for an empty table)
    OFFSET LINE                         (one per 2-byte code unit; -1 = None)
    OFFSET LINE COLUMN                  (the same on 3.11+: the 0-based start
                                         column too, -1 = None)

FORMAT is lnotab (3.8/3.9 co_lnotab), linetable310 (3.10 co_linetable) or
locations (3.11+ co_linetable).  The lines come from code.co_lines() on 3.10+
and from dis.findlinestarts() on 3.8/3.9, i.e. from CPython, never from a
decoder of our own, and the columns from code.co_positions(); where ctypes is
available they are also checked against the C functions PyCode_Addr2Line and
(3.11+) PyCode_Addr2Location, and any disagreement is fatal.
"""
import sys

if sys.version_info < (3, 8):
    sys.exit("gen-linetable-fixtures.py: needs Python 3.8 or later")

import dis
import importlib.util
import os
import platform
import tokenize
import types

try:
    import ctypes
    _addr2line = ctypes.pythonapi.PyCode_Addr2Line
    _addr2line.argtypes = (ctypes.py_object, ctypes.c_int)
    _addr2line.restype = ctypes.c_int
except (ImportError, AttributeError):
    _addr2line = None

try:
    _addr2location = ctypes.pythonapi.PyCode_Addr2Location
    _addr2location.argtypes = (ctypes.py_object, ctypes.c_int) + (ctypes.POINTER(ctypes.c_int),) * 4
    _addr2location.restype = ctypes.c_int
except (NameError, AttributeError):
    _addr2location = None

VERSION = sys.version_info[:2]

# Real-world code: big modules with classes, closures, decorators, long
# functions, comprehensions and plenty of try/with blocks.
MODULES = ("inspect", "typing", "argparse", "dataclasses", "tarfile")


def _block(lines, indent=4):
    pad = " " * indent
    return "\n".join(pad + line if line else line for line in lines)


def synthetic_source():
    """Source text exercising the corner cases of every table format."""
    parts = []
    add = parts.append

    # A function far longer than 200 lines: forward jumps beyond the 127
    # lines one lnotab/3.10 pair can hold, plain statements on lines > 255
    # bytes of bytecode apart, and backward jumps of hundreds of lines from
    # the ends of loops back to their heads.
    body = ["total = 0"]
    body += ["# padding"] * 300
    body += ["total += 1", "", "", "for i in range(3):"]
    body += ["    total += i"] + ["    # loop padding"] * 250 + ["    total -= 1"]
    body += ["while total > 0:"]
    body += ["    total -= 1"] + [""] * 180 + ["    if total == 7:", "        break"]
    body += ["x = (1,"] + ["     2,"] * 150 + ["     3)"]
    body += ["y = len(x"] + [""] * 140 + ["        )"]
    body += ["return total + sum(x) + y"]
    add("def long_function(a, b):\n" + _block(body))

    # Multi-line expressions whose instructions hop between lines, both ways.
    add('''
def multiline(a, b, c):
    result = dict(
        alpha=a,
        beta=[b,
              c,
              a +
              b],
        gamma={k: v
               for k, v in
               zip("abc",
                   (a, b, c))},
    )
    s = (a
         .__add__(b)
         .__mul__(c)
         .__sub__(
             a))
    t = f"""{a}
    {b!r:>10}
    {c}"""
    return (result,
            s,
            t) if a else (
        None)
''')

    # Decorators (called after the def, from earlier lines), stacked and far
    # apart, on functions and classes.
    add("def deco(*args):\n    return lambda f: f\n\n")
    add("@deco(1,\n      2)\n" + "\n" * 150 + "@deco(\n    3)\n"
        "def decorated(x,\n              y=[i for i in range(3)],\n"
        "              *, z=lambda q: q + 1):\n    return x, y, z\n")
    add('''
@deco()
class Decorated(object):
    """Docstring."""
    attr = [n * 2 for n in range(10) if n % 3]

    @staticmethod
    @deco(lambda: None,
          lambda a: (a,
                     a))
    def method(self, *args, **kwargs):
        def inner(q=args):
            nonlocal kwargs
            return q, kwargs
        return inner

    @property
    def prop(self):
        return {x: [y for y in range(x) if y]
                for x in range(5)
                if x}
''')

    # Comprehensions and generator expressions of all kinds, nested.
    add('''
def comprehensions(data):
    a = [x
         for x in data
         if x]
    b = {x: y for x in data for y in data if x != y}
    c = {(x,
          y) for x, y in zip(data,
                            data)}
    d = list(x * 2
             for x in data)
    e = [[y for y in range(x)] for x in data]
    f = (lambda: [z for z in data])()
    return a, b, c, d, e, f
''')

    # Exception handling: lots of compiler-generated cleanup code, much of it
    # without a location on 3.11+.
    add('''
def exceptions(f, g):
    try:
        f()
    except ValueError as e:
        g(e)
    except (TypeError,
            KeyError):
        pass
    else:
        g(None)
    finally:
        g(1)
    try:
        try:
            return f()
        finally:
            g(2)
    except Exception:
        raise
    for i in range(3):
        try:
            continue
        finally:
            g(i)
    while True:
        try:
            break
        except BaseException as exc:
            del exc
        finally:
            g(3)
    try:
        pass
    except:
        pass
''')

    # With-blocks, nested and on several lines, plus async variants.
    add('''
def withs(cm, other):
    with cm as a:
        pass
    with cm as a, \\
            other as b:
        with cm:
            return a, b
    with cm:
        try:
            raise ValueError
        except ValueError:
            pass

async def asyncs(cm, it):
    async with cm as a:
        async for x in it:
            await a(x)
    return [y async for y in it
            if await y]

def generators(it):
    yield 1
    x = yield from it
    yield (
        x)
    return [z for z in (yield)]
''')

    # Lambdas and nested functions several levels deep.
    add('''
def nested(a):
    def level1(b):
        def level2(c):
            f = lambda d: (lambda e: a + b + c + d + e)
            return f
        class Local:
            def m(self):
                return b
        return level2, Local
    return level1
''')

    # Very long single-line expressions: far more than 255 bytes of bytecode
    # on one line and columns well beyond 127 (3.11+ long-form entries with
    # multi-chunk column varints, and entries split at 8 code units).
    terms = " + ".join("v%d * %d" % (i % 7, i) for i in range(400))
    args = ", ".join("v%d.attr%d.meth(%d)" % (i % 7, i, i) for i in range(120))
    add("def long_lines(v0, v1, v2, v3, v4, v5, v6):\n"
        "    a = " + terms + "\n"
        "    b = [" + args + "]\n"
        "    c = " + terms + "; d = " + terms + "\n"
        "    return a, b, c, d\n")

    # Dead and odd code: constant conditions, asserts, pass-only bodies,
    # global/nonlocal, del, star-args, chained comparisons.
    add('''
def odd(x, *args, **kw):
    global GLOBAL_NAME
    if 0:
        x = 1
    while 0:
        pass
    assert x, (
        "message")
    del args
    if 1 < x < 3 <= x:
        pass
    GLOBAL_NAME = x
    return kw
''')

    # Version-specific syntax.
    if VERSION >= (3, 10):
        add('''
def matching(v):
    match v:
        case [1, 2, *rest] if rest:
            return rest
        case {"k": (x,
                    y)}:
            return x + y
        case Point(x=0,
                   y=0):
            return 0
        case str() | bytes():
            pass
        case _:
            return None
''')
    if VERSION >= (3, 11):
        add('''
def exception_groups(f):
    try:
        f()
    except* ValueError as eg:
        f(eg)
    except* (TypeError,
             KeyError):
        pass
''')
    if VERSION >= (3, 12):
        add('''
type Alias[T] = list[
    T]

class Generic[T: (int,
                  str)]:
    def method[U](self, u: U) -> T:
        return u
''')

    src = "\n\n".join(parts) + "\n"
    # Module-level code far down the file: line deltas of tens of thousands
    # (many lnotab/3.10 pairs, a three-chunk svarint on 3.11+), and a
    # function with a large co_firstlineno.
    src += "\n" * 70000
    src += "FAR = [1,\n" + "\n" * 300 + "       2]\n"
    src += "def far_away(x):\n    return x + FAR[0]\n"
    src += "BACK = (lambda: 0)()\n"
    return src


def walk(code):
    """CODE and all code objects nested in it, depth first."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            for c in walk(const):
                yield c


def true_lines(co):
    """{byte offset: line or -1} for every code unit, as CPython reports."""
    lines = {}
    if VERSION >= (3, 10):
        for start, end, line in co.co_lines():
            for off in range(start, end, 2):
                lines[off] = -1 if line is None else line
    else:
        starts = dict(dis.findlinestarts(co))
        line = co.co_firstlineno
        for off in range(0, len(co.co_code), 2):
            line = starts.get(off, line)
            lines[off] = line
    return lines


def true_columns(co):
    """{byte offset: start column or -1} for every code unit (3.11+), as CPython reports."""
    if VERSION < (3, 11):
        return None
    return {2 * unit: -1 if col is None else col
            for unit, (_, _, col, _) in enumerate(co.co_positions())}


def table_of(co):
    if VERSION >= (3, 11):
        return "locations", co.co_linetable
    if VERSION >= (3, 10):
        return "linetable310", co.co_linetable
    return "lnotab", co.co_lnotab


def check_addr2line(co, lines, where):
    """Fail if the C API PyCode_Addr2Line disagrees with the Python view."""
    if _addr2line is None:
        return
    for off, line in lines.items():
        c_line = _addr2line(co, off)
        if c_line != line:
            sys.exit("%s: %s line %d offset %d: PyCode_Addr2Line says %d, "
                     "Python says %d" % (where, co.co_name, co.co_firstlineno,
                                         off, c_line, line))


def check_addr2location(co, columns, where):
    """Fail if the C API PyCode_Addr2Location disagrees with co_positions()."""
    if _addr2location is None or columns is None:
        return
    out = [ctypes.c_int() for _ in range(4)]
    for off, col in columns.items():
        _addr2location(co, off, *(ctypes.byref(v) for v in out))
        if out[1].value != col:
            sys.exit("%s: %s line %d offset %d: PyCode_Addr2Location says column %d, "
                     "co_positions() says %d" % (where, co.co_name, co.co_firstlineno,
                                                 off, out[1].value, col))


def offset_lines(lines, columns):
    """The "OFFSET LINE" lines, "OFFSET LINE COLUMN" where there are columns."""
    if columns is None:
        return ["%d %d" % item for item in sorted(lines.items())]
    return ["%d %d %d" % (off, line, columns[off]) for off, line in sorted(lines.items())]


def emit(out, source, code):
    out.append("# source %s" % source)
    ncodes = 0
    for co in walk(code):
        fmt, table = table_of(co)
        lines, columns = true_lines(co), true_columns(co)
        check_addr2line(co, lines, source)
        check_addr2location(co, columns, source)
        # Names are for messages only; 3.12+ has some with spaces in.
        name = "_".join(co.co_name.split()) or "-"
        out.append("code %s %d %s %s" % (name, co.co_firstlineno, fmt,
                                         table.hex() or "-"))
        out.extend(offset_lines(lines, columns))
        ncodes += 1
    return ncodes


def module_source(name):
    spec = importlib.util.find_spec(name)
    with tokenize.open(spec.origin) as f:
        return spec.origin, f.read()


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: %s OUTFILE" % argv[0])
    out = ["# python %s" % platform.python_version()]
    ncodes = emit(out, "<synthetic>",
                  compile(synthetic_source(), "<synthetic>", "exec"))
    for mod in MODULES:
        path, src = module_source(mod)
        ncodes += emit(out, mod, compile(src, path, "exec"))
    # Never leave a half-written fixture behind for the tests to find.
    tmp = argv[1] + ".tmp"
    with open(tmp, "w") as f:
        f.write("\n".join(out) + "\n")
    os.replace(tmp, argv[1])
    print("%s: %d code objects, %d offsets" % (
        argv[1], ncodes, sum(1 for line in out if line[0].isdigit())))


if __name__ == "__main__":
    main(sys.argv)
