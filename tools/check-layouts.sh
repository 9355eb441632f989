#!/bin/sh
# Check user/python/py_layout.c's built-in table against every installed CPython's
# headers: Debian's /usr/include/python3.*, pyenv's
# /root/.pyenv/versions/*/include/python3.* (3.8 and newer) and the
# free-threaded builds and sid's headers of `make pythons` (BUILD_DIR/pythons/
# freethreaded-*, BUILD_DIR/pythons/sid-headers).  Each is
# compiled with tests/layout/check_layout.c into BUILD_DIR/layout-<tag> and
# run.  Prints one summary line per interpreter plus any failures; exits
# non-zero if a build or a check fails, or if no 3.11 headers were found.
#
# usage: tools/check-layouts.sh BUILD_DIR
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD_DIR" >&2
	exit 2
fi
build=$1
root=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-gcc}
PYENV_VERSIONS=${PYENV_VERSIONS:-/root/.pyenv/versions}

mkdir -p "$build"
found311=0
failures=0

# check TAG INCDIR [-IDIR]
check() {
	tag=$1 inc=$2 bin=$build/layout-$1 extra=${3:-}

	if ! $CC -std=gnu11 -O0 -Wall -Wextra -DPy_BUILD_CORE $extra \
		-I"$inc" -I"$inc/internal" -I"$root/user" -I"$root/bpf" -DINCDIR="\"$inc\"" \
		"$root/tests/layout/check_layout.c" "$root/user/python/py_layout.c" \
		"$root/user/python/debug_offsets.c" \
		-o "$bin" >"$bin.log" 2>&1; then
		echo "FAIL $tag ($inc): does not compile:"
		sed 's/^/  /' "$bin.log"
		failures=$((failures + 1))
		return
	fi
	if ! "$bin" >"$bin.out" 2>&1; then
		failures=$((failures + 1))
	fi
	grep -v '^ok ' "$bin.out" || true
}

for inc in /usr/include/python3.* "$PYENV_VERSIONS"/*/include/python3.* \
	"$build"/pythons/freethreaded-*/usr/local/include/python3.* \
	"$build"/pythons/sid-headers/usr/include/python3.*; do
	[ -d "$inc" ] || continue
	name=${inc##*/python}		# 3.11, 3.11d, 3.7m, 3.13t ...
	minor=${name#3.}
	minor=${minor%%[!0-9]*}
	[ -n "$minor" ] && [ "$minor" -ge 8 ] || continue
	extra=
	case $inc in
	/usr/include/*)	tag=debian-$name ;;
	"$build"/pythons/sid-headers/*)
		# Debian's pyconfig.h includes <x86_64-linux-gnu/pythonX.Y/pyconfig.h>:
		# a directory holding only that, not the tree's own C library headers.
		tag=sid-$name
		arch=$(cd "$inc/../x86_64-linux-gnu" && pwd)
		mkdir -p "$build/layout-include/x86_64-linux-gnu"
		ln -sfn "$arch/python$name" "$build/layout-include/x86_64-linux-gnu/python$name"
		extra=-I$build/layout-include ;;
	"$build"/pythons/*) tag=built-$name ;;
	*)		tag=pyenv-$(basename "$(dirname "$(dirname "$inc")")") ;;
	esac
	[ "$minor" -eq 11 ] && found311=1
	check "$tag" "$inc" "$extra"
done

if [ "$found311" -eq 0 ]; then
	echo "FAIL: no CPython 3.11 headers found (install python3.11-dev)"
	exit 1
fi
if [ "$failures" -ne 0 ]; then
	echo "FAIL: $failures layout check(s) failed"
	exit 1
fi
