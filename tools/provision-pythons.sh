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
. "$(dirname "$0")/debian-tree.sh"

fetch() {
	suite=$1
	shift
	if debian_tree_fetch "$DEST/$suite" "$suite" "$(python_packages "$@")"; then
		echo "provision-pythons: fetched Python $* from Debian $suite"
		debian_tree_check_pythons "$DEST/$suite.tmp" "$@"
		debian_tree_done "$DEST/$suite"
	fi
}

fetch bullseye 3.9
fetch sid 3.13 3.14 3.15
for tree in "$DEST"/bullseye "$DEST"/sid; do
	for py in "$tree"/usr/bin/python3.[0-9]*; do
		case "$py" in *-config) continue ;; esac
		echo "provision-pythons: $(chroot "$tree" "${py#"$tree"}" -c 'import sys; print(sys.version.split()[0])') in $tree"
	done
done
