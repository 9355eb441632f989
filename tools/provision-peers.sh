#!/bin/sh
# Fetch the profilers pybpf is benchmarked against (tools/bench/bench.py),
# all from Debian packages, without touching the system's apt configuration:
#   BUILD/peers/sid: Debian sid's austin (3.7; needs glibc >= 2.38, newer
#     than bookworm's, so it runs from this tree with the tree's own loader
#     or chrooted), python3.15 (its `-m profiling.sampling` and a 3.15
#     target) and python3.13 (a `-X perf` target for perf).
#   linux-perf, GNU time, pytest and memory_profiler from bookworm,
#   installed with apt-get only if missing.
# Same approach as tools/provision-pythons.sh: mmdebstrap --variant=extract,
# the mirror this machine's apt already uses, merged-/usr links, cached with
# a .complete marker (delete BUILD/peers to refetch).  Sid moves, so no
# version is pinned; the benchmark reports the versions it ran.
set -eu
BUILD=${1:-build}
DEST="$BUILD/peers"

. "$(dirname "$0")/debian-tree.sh"

# sid's austin declares python3 (<< 3.14~), which sid's python3 (3.14) no
# longer satisfies; the austin binary itself needs no Python.  So its
# library dependencies are installed by name and the austin package itself
# is downloaded by apt (same mirror, same signature check) and unpacked
# into the tree with dpkg-deb, without that one dependency.
AUSTIN_DEPS="libc6,libsframe3,libunwind8,libzstd1,zlib1g"

fetch_sid() {
	tree="$DEST/sid"
	# shellcheck disable=SC2016 # the hook expands $1 and $MMDEBSTRAP_APT_CONFIG itself
	debian_tree_fetch "$tree" sid "$AUSTIN_DEPS,$(python_packages 3.15 3.13)" \
		--extract-hook='cd "$1/tmp" && APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-get -qq download austin &&
			dpkg-deb -x austin_*.deb "$1" && rm -f austin_*.deb' || return 0
	echo "provision-peers: fetched austin, Python 3.13 and 3.15 from Debian sid"
	debian_tree_check_pythons "$tree.tmp" 3.13 3.15
	"$tree.tmp/lib64/ld-linux-x86-64.so.2" --library-path "$tree.tmp/usr/lib/x86_64-linux-gnu" \
		"$tree.tmp/usr/bin/austin" --version >/dev/null ||
		{ echo "provision-peers: austin does not run from $tree" >&2; exit 1; }
	debian_tree_done "$tree"
}

# perf from bookworm (the host's own package), and GNU time (the benchmark
# measures each profiler's peak RSS with it), only if they are missing.
ensure_host_tools() {
	missing=""
	command -v perf >/dev/null 2>&1 && perf version >/dev/null 2>&1 || missing="linux-perf"
	[ -x /usr/bin/time ] || missing="$missing time"
	# The suite workload: pytest in Debian's python3.11.
	/usr/bin/python3.11 -c 'import pytest' 2>/dev/null || missing="$missing python3-pytest"
	# --mode memory's peer (issue 21): memory_profiler's line-by-line increments.
	/usr/bin/python3.11 -c 'import memory_profiler' 2>/dev/null || missing="$missing python3-memory-profiler"
	[ -n "$missing" ] || return 0
	echo "provision-peers: installing $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

fetch_sid
ensure_host_tools
tree="$DEST/sid"
echo "provision-peers: $("$tree/lib64/ld-linux-x86-64.so.2" --library-path "$tree/usr/lib/x86_64-linux-gnu" "$tree/usr/bin/austin" --version 2>&1 | head -n 1) in $tree"
for v in 3.13 3.15; do
	echo "provision-peers: Python $(chroot "$tree" "/usr/bin/python$v" -c 'import sys; print(sys.version.split()[0])') in $tree"
done
echo "provision-peers: $(perf version 2>&1)"
