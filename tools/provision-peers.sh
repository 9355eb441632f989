#!/bin/sh
# Fetch the profilers pybpf is benchmarked against (tools/bench/bench.py),
# all from Debian packages, without touching the system's apt configuration:
#   BUILD/peers/sid: Debian sid's austin (3.7; needs glibc >= 2.38, newer
#     than bookworm's, so it runs from this tree with the tree's own loader
#     or chrooted), python3.15 (its `-m profiling.sampling` and a 3.15
#     target) and python3.13 (a `-X perf` target for perf).
#   linux-perf from bookworm, installed with apt-get only if perf is missing.
# Same approach as tools/provision-pythons.sh: mmdebstrap --variant=extract,
# the mirror this machine's apt already uses, merged-/usr links, cached with
# a .complete marker (delete BUILD/peers to refetch).  Sid moves, so no
# version is pinned; the benchmark reports the versions it ran.
set -eu
BUILD=${1:-build}
DEST="$BUILD/peers"

# The Debian mirror this machine's apt already uses.
mirror() {
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
		[ -f "$f" ] || continue
		uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p; s/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' "$f" |
			grep -v -- '-security' | head -n 1)
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	echo "provision-peers: no Debian mirror found in /etc/apt sources" >&2
	exit 1
}

pythons() {
	for v in "$@"; do
		printf 'python%s-minimal,libpython%s-stdlib,libpython%s,' "$v" "$v" "$v"
	done | sed 's/,$//'
}

# sid's austin declares python3 (<< 3.14~), which sid's python3 (3.14) no
# longer satisfies; the austin binary itself needs no Python.  So its
# library dependencies are installed by name and the austin package itself
# is downloaded by apt (same mirror, same signature check) and unpacked
# into the tree with dpkg-deb, without that one dependency.
AUSTIN_DEPS="libc6,libsframe3,libunwind8,libzstd1,zlib1g"

fetch_sid() {
	tree="$DEST/sid"
	[ -f "$tree/.complete" ] && return 0
	command -v mmdebstrap >/dev/null || { echo "provision-peers: mmdebstrap missing: run make deps" >&2; exit 1; }
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$DEST"
	echo "provision-peers: fetching austin, Python 3.13 and 3.15 from Debian sid"
	mmdebstrap --quiet --variant=extract \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--include="$AUSTIN_DEPS,$(pythons 3.15 3.13)" \
		--extract-hook='cd "$1/tmp" && APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-get -qq download austin &&
			dpkg-deb -x austin_*.deb "$1" && rm -f austin_*.deb' \
		sid "$tree.tmp" "$(mirror)"
	# The extract variant leaves out the merged-/usr links the loader needs.
	for d in bin sbin lib lib64; do
		[ -e "$tree.tmp/$d" ] || ln -s "usr/$d" "$tree.tmp/$d"
	done
	for v in 3.13 3.15; do
		chroot "$tree.tmp" "/usr/bin/python$v" -c 'import sys' ||
			{ echo "provision-peers: python$v does not run in $tree" >&2; exit 1; }
	done
	"$tree.tmp/lib64/ld-linux-x86-64.so.2" --library-path "$tree.tmp/usr/lib/x86_64-linux-gnu" \
		"$tree.tmp/usr/bin/austin" --version >/dev/null ||
		{ echo "provision-peers: austin does not run from $tree" >&2; exit 1; }
	touch "$tree.tmp/.complete"
	mv "$tree.tmp" "$tree"
}

# perf from bookworm (the host's own package), only if it is missing.
ensure_perf() {
	command -v perf >/dev/null 2>&1 && perf version >/dev/null 2>&1 && return 0
	echo "provision-peers: installing linux-perf"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends linux-perf >/dev/null
}

fetch_sid
ensure_perf
tree="$DEST/sid"
echo "provision-peers: $("$tree/lib64/ld-linux-x86-64.so.2" --library-path "$tree/usr/lib/x86_64-linux-gnu" "$tree/usr/bin/austin" --version 2>&1 | head -n 1) in $tree"
for v in 3.13 3.15; do
	echo "provision-peers: Python $(chroot "$tree" "/usr/bin/python$v" -c 'import sys; print(sys.version.split()[0])') in $tree"
done
echo "provision-peers: $(perf version 2>&1)"
