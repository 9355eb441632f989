#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Regenerate the seeds of tests/fuzz/corpus/ from real inputs on this machine:
# maps files of live processes, small ELF files built here plus real ones,
# line tables from the fixtures, str objects and _Py_DebugOffsets read out
# of live interpreters with ctypes, and a raw recording made by pybpf.
# The committed seeds are its output; nothing else runs it.
#
# Usage (as root, after `make all unit pythons`):
#   tools/gen-fuzz-corpus.sh [BUILD]        (default: build)
# The crash-* seeds (inputs that once crashed a parser) are left alone.
set -eu
BUILD=${1:-build}
CORPUS=tests/fuzz/corpus
PY=/usr/bin/python3.11
SID=$BUILD/pythons/sid
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for d in elf_symbols proc_maps linetable pystr debug_offsets recording eh_frame; do
	mkdir -p "$CORPUS/$d"
	find "$CORPUS/$d" -type f ! -name 'crash-*' -delete
done

# ---- proc_maps: a plain process, Python with a deleted file whose name has
# spaces mapped, and a chrooted interpreter (paths only valid inside it).
cat /proc/self/maps > "$CORPUS/proc_maps/cat"
$PY - "$tmp" "$CORPUS/proc_maps/python-deleted-spaces" <<'EOF'
import mmap, os, sys
path = os.path.join(sys.argv[1], "a file (with spaces)")
with open(path, "wb") as f:
    f.write(b"x" * 4096)
f = open(path, "rb")
m = mmap.mmap(f.fileno(), 4096, prot=mmap.PROT_READ)
os.unlink(path)
open(sys.argv[2], "w").write(open("/proc/self/maps").read())
EOF
chroot "$SID" /usr/bin/python3.14 -c 'import time; time.sleep(5)' &
sleep 1
cat /proc/$!/maps > "$CORPUS/proc_maps/chroot-python3.14"
kill $!

# ---- elf_symbols: what python_target.c looks for (_PyRuntime, .PyRuntime,
# Py_Version, PY_VERSION in .rodata, DT_NEEDED libpython, DT_SONAME) in
# small files linked here, stripped or not; a real small library; and the
# head of a real interpreter, cut short.
cat > "$tmp/py.c" <<'EOF'
__attribute__((section(".PyRuntime"))) char _PyRuntime[64] = "xdebugpy";
const unsigned long Py_Version = 0x030b04f0;
const char *py_version(void) { return &"Python-3.11.4"[7]; }	/* a merged literal */
EOF
LDF="-nostdlib -Wl,-z,noseparate-code -Wl,--build-id=none"
echo 'int libpython_stub;' | clang -x c - -shared $LDF -Wl,-soname,libpython3.11.so.1.0 \
	-o "$tmp/libpython3.11.so"
clang -O1 -fPIC -shared $LDF -Wl,-soname,libpython3.11.so.1.0 "$tmp/py.c" \
	-o "$CORPUS/elf_symbols/libpython3.11.so"
clang -O1 -fPIE -pie $LDF -Wl,-e,py_version "$tmp/py.c" -L"$tmp" -lpython3.11 \
	-o "$CORPUS/elf_symbols/python3.11-needs-libpython"
llvm-strip --strip-all "$CORPUS/elf_symbols/libpython3.11.so" \
	-o "$CORPUS/elf_symbols/libpython3.11-stripped.so"
cp /usr/lib/x86_64-linux-gnu/libdl.so.2 "$CORPUS/elf_symbols/libdl.so.2"
head -c 4096 "$SID/usr/bin/python3.14" > "$CORPUS/elf_symbols/python3.14-head"

# ---- linetable: format byte, co_firstlineno (s32 LE), table; a few code
# objects of each size class (up to 2 KB) from every fixture.
$PY - "$BUILD/fixtures" "$CORPUS/linetable" <<'EOF'
import glob, os, struct, sys
formats = {"lnotab": 0, "linetable310": 1, "locations": 2}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "linetable-*.txt"))):
    codes = []
    for line in open(path):
        if line.startswith("code "):
            _, name, first, fmt, table = line.split()
            table = bytes.fromhex(table) if table != "-" else b""
            if len(table) <= 2048:
                codes.append((table, int(first), fmt))
    codes.sort(key=lambda c: len(c[0]))
    version = os.path.basename(path)[len("linetable-"):-len(".txt")]
    for i in (0, len(codes) // 4, len(codes) // 2, 3 * len(codes) // 4, len(codes) - 1):
        table, first, fmt = codes[i]
        with open(os.path.join(sys.argv[2], "%s-%d" % (version, len(table))), "wb") as f:
            f.write(bytes([formats[fmt]]) + struct.pack("<i", first) + table)
EOF

# str objects of every kind as they sit in a live interpreter's memory,
# with what follows a short one up to 128 bytes (pystr_read() reads that
# much whatever the kind).
cat > "$tmp/strs.py" <<'EOF'
import ctypes, sys

def raw(s):
    return ctypes.string_at(id(s), max(sys.getsizeof(s), 128))

STRINGS = {"empty": "", "ascii": "hello", "latin1": "caf\xe9", "ucs2": "\u03a9\u2248",
           "ucs4": "\U0001f600x", "nul": "a\x00b", "surrogate": "\ud800", "long": "x" * 1100}

def objects():
    for name, s in STRINGS.items():
        yield name, raw(s)
    try:    # a legacy (not compact) string, refused by pybpf; gone in 3.12
        new = ctypes.pythonapi.PyUnicode_FromUnicode
        new.restype = ctypes.py_object
        new.argtypes = (ctypes.c_void_p, ctypes.c_ssize_t)
        s = new(None, 4)
        yield "legacy", raw(s)
    except (AttributeError, OSError):
        pass
EOF

# ---- pystr: layout byte (minor - 8), output size byte (8 + 17 * value),
# the object.
for py in /root/.pyenv/versions/3.8*/bin/python3.8 /root/.pyenv/versions/3.9*/bin/python3.9 \
	  /root/.pyenv/versions/3.10*/bin/python3.10 $PY /root/.pyenv/versions/3.12*/bin/python3.12; do
	[ -x "$py" ] || continue
	"$py" - "$tmp" "$CORPUS/pystr" <<'EOF'
import os, sys
sys.path.insert(0, sys.argv[1])
import strs
minor = sys.version_info[1]
for name, obj in strs.objects():
    for size in (255, 0) if name == "long" else (255,):
        with open(os.path.join(sys.argv[2], "3.%d-%s-%d" % (minor, name, size)), "wb") as f:
            f.write(bytes([minor - 8, size]) + obj)
EOF
done

# ---- debug_offsets: minor byte (minor - 13; 3 = a newer minor), the
# _Py_DebugOffsets the parser reads (sizes from debug_offsets.c), a str
# object; all from a live chrooted interpreter.
cp "$tmp/strs.py" "$SID/tmp/pybpf_fuzz_strs.py"
for minor in 13 14 15; do
	chroot "$SID" /usr/bin/python3.$minor - <<'EOF' > "$tmp/do-$minor"
import ctypes, sys
sys.path.insert(0, "/tmp")
sys.modules.pop("pybpf_fuzz_strs", None)
import pybpf_fuzz_strs as strs
size = {13: 584, 14: 760, 15: 888}[sys.version_info[1]]
runtime = ctypes.c_char.in_dll(ctypes.pythonapi, "_PyRuntime")
head = ctypes.string_at(ctypes.addressof(runtime), size)
for name, obj in strs.objects():
    if name in ("ascii", "ucs4", "long"):
        sys.stdout.buffer.write(b"%s %d\n" % (name.encode(), len(obj)) + head + obj)
EOF
	$PY - "$tmp/do-$minor" "$CORPUS/debug_offsets" "$minor" <<'EOF'
import os, sys
data, out, minor = open(sys.argv[1], "rb").read(), sys.argv[2], int(sys.argv[3])
size = {13: 584, 14: 760, 15: 888}[minor]
while data:
    line, data = data.split(b"\n", 1)
    name, n = line.split()
    blob, data = data[:size + int(n)], data[size + int(n):]
    with open(os.path.join(out, "3.%d-%s" % (minor, name.decode())), "wb") as f:
        f.write(bytes([minor - 13]) + blob)
    if minor == 15 and name == b"ascii":    # what a 3.16 gets: the 3.15 parser
        with open(os.path.join(out, "3.16-as-3.15-ascii"), "wb") as f:
            f.write(bytes([3]) + blob)
EOF
done
rm -f "$SID/tmp/pybpf_fuzz_strs.py"

# ---- recording: flags byte (1: fix the CRC, a no-op here; 7: also the
# --tid/--pid filters), then a short raw recording of a real workload.
"$BUILD/pybpf" record -q -f raw -r 200 -o "$tmp/rec.pybpf" -- $PY -c '
import threading
def spin(n):
    while n: n -= 1
t = threading.Thread(target=spin, args=(2000000,), name="worker")
t.start(); spin(2000000); t.join()'
for flags in 1 7; do
	{ printf "\\$(printf %o $flags)"; cat "$tmp/rec.pybpf"; } > "$CORPUS/recording/threads-$flags"
done

# ---- eh_frame: .eh_frame and .eh_frame_hdr of real small libraries and of
# a program with PLT entries, remember/restore_state, alloca and a signal
# trampoline whose CFA is an expression (as libc's __restore_rt), with and
# without the header; looked up at their functions, with a stack copy of
# return addresses into them.  Layout: see tests/fuzz/fuzz_eh_frame.c.
cat > "$tmp/cfi.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
__asm__(".globl tramp\n.type tramp,@function\ntramp:\n.cfi_startproc\n.cfi_signal_frame\n"
	".cfi_escape 0x0f,0x03,0x77,0xa0,0x01\n"	/* DW_CFA_def_cfa_expression: rsp + 160 */
	".cfi_escape 0x10,0x10,0x02,0x77,0x08\n"	/* DW_CFA_expression: rip at rsp + 8 */
	"nop\nret\n.cfi_endproc\n");
__attribute__((noinline)) int branchy(int n, char **v)
{
	if (n > 3)
		return puts(v[1]);
	char *buf = __builtin_alloca(n * 64 + 64);
	snprintf(buf, 64, "%d", n);
	return atoi(buf) + (n ? branchy(n - 1, v) : 0);
}
int main(int argc, char **argv) { return branchy(argc, argv); }
EOF
gcc -O2 -o "$tmp/plt-trampoline-alloca" "$tmp/cfi.c"
$PY - "$CORPUS/eh_frame" /usr/lib/x86_64-linux-gnu/libdl.so.2 /usr/lib/x86_64-linux-gnu/libffi.so.8 \
	/usr/lib/x86_64-linux-gnu/libz.so.1 "$tmp/plt-trampoline-alloca" <<'EOF'
import os, struct, sys

def sections(data):
    shoff, = struct.unpack_from("<Q", data, 0x28)
    entsize, num, strndx = struct.unpack_from("<HHH", data, 0x3a)
    hdrs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * entsize) for i in range(num)]
    names = hdrs[strndx][4]
    return {data[names + h[0]:data.index(b"\0", names + h[0])].decode(): h for h in hdrs}

def functions(data, secs):
    table = secs.get(".symtab") or secs[".dynsym"]
    syms = (struct.unpack_from("<IBBHQQ", data, table[4] + off) for off in range(0, table[5], 24))
    return sorted({s[4] for s in syms if s[1] & 0xf == 2 and s[4]})    # STT_FUNC

for path in sys.argv[2:]:
    data = open(path, "rb").read()
    secs = sections(data)
    eh, hdr = secs[".eh_frame"], secs[".eh_frame_hdr"]
    fns = functions(data, secs)
    lookups = [f + (i % 3) * 4 for i, f in enumerate(fns[:32])]
    rsp = 0x7ffd1000
    # Return addresses into the functions, each above a saved rbp.
    stack = b"".join(struct.pack("<QQ", rsp + 16 * (i + 1), f + 5) for i, f in enumerate(fns[:16]))
    for with_hdr in (True, False):
        hdr_bytes = data[hdr[4]:hdr[4] + hdr[5]] if with_hdr else b""
        seed = struct.pack("<QQIIQQQQB", eh[3], hdr[3], len(hdr_bytes), len(stack),
                           fns[0] + 4, rsp, rsp, 0, len(lookups))
        seed += b"".join(struct.pack("<Q", pc) for pc in lookups)
        seed += hdr_bytes + stack + data[eh[4]:eh[4] + eh[5]]
        name = os.path.basename(path) + ("" if with_hdr else "-no-hdr")
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(seed)
EOF

du -sh "$CORPUS"/*

# ---- target_walk: a small healthy runtime per built-in layout, laid out
# by the table itself (tests/fuzz/seed_target_walk.c).
mkdir -p "$CORPUS/target_walk"
find "$CORPUS/target_walk" -type f ! -name 'crash-*' -delete
${CC:-gcc} -std=gnu11 -Iuser -Ibpf -Itests/common tests/fuzz/seed_target_walk.c tests/common/fake_target.c \
	user/python/py_layout.c -o "$tmp/seed_target_walk"
"$tmp/seed_target_walk" "$CORPUS/target_walk"
