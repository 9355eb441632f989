#!/bin/sh
# Fetch Debian's own CPython builds that bookworm does not carry into
# BUILD/pythons/<suite>, without touching the system's apt configuration:
#   bullseye: python3.9;  sid: python3.13, 3.14, 3.15
# Each tree is a directory a test can chroot into (also the "container"
# case).  Trees are cached: delete BUILD/pythons to refetch.  Sid moves, so
# no patch version is pinned.
set -eu
BUILD=${1:-build}
DEST="$BUILD/pythons"

# The Debian mirror this machine's apt already uses.
mirror() {
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
		[ -f "$f" ] || continue
		uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p; s/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' "$f" |
			grep -v -- '-security' | head -n 1)
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	echo "provision-pythons: no Debian mirror found in /etc/apt sources" >&2
	exit 1
}

packages() {
	for v in "$@"; do
		printf 'python%s-minimal,libpython%s-stdlib,libpython%s,' "$v" "$v" "$v"
	done | sed 's/,$//'
}

fetch() {
	suite=$1
	shift
	tree="$DEST/$suite"
	[ -f "$tree/.complete" ] && return 0
	command -v mmdebstrap >/dev/null || { echo "provision-pythons: mmdebstrap missing: run make deps" >&2; exit 1; }
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$DEST"
	echo "provision-pythons: fetching Python $* from Debian $suite"
	mmdebstrap --quiet --variant=extract \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--include="$(packages "$@")" "$suite" "$tree.tmp" "$(mirror)"
	# The extract variant leaves out the merged-/usr links the loader needs.
	for d in bin sbin lib lib64; do
		[ -e "$tree.tmp/$d" ] || ln -s "usr/$d" "$tree.tmp/$d"
	done
	for v in "$@"; do
		chroot "$tree.tmp" "/usr/bin/python$v" -c 'import sys' ||
			{ echo "provision-pythons: python$v does not run in $tree" >&2; exit 1; }
	done
	touch "$tree.tmp/.complete"
	mv "$tree.tmp" "$tree"
}

fetch bullseye 3.9
fetch sid 3.13 3.14 3.15
for tree in "$DEST"/bullseye "$DEST"/sid; do
	for py in "$tree"/usr/bin/python3.[0-9]*; do
		case "$py" in *-config) continue ;; esac
		echo "provision-pythons: $(chroot "$tree" "${py#"$tree"}" -c 'import sys; print(sys.version.split()[0])') in $tree"
	done
done
