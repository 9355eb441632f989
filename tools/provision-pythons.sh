#!/bin/sh
# Fetch Debian's own CPython builds that bookworm does not carry into
# BUILD/pythons/<suite>, without touching the system's apt configuration:
#   bullseye: python3.9;  sid: python3.13, 3.14, 3.15;
#   sid-debug: sid's debug interpreters (Py_DEBUG), python3.13d, 3.14d, 3.15d
#   sid-nopie: sid's python3.X-nopie interpreters (linked without PIE)
#   sid-headers: sid's libpython3.X-dev headers (3.13-3.15), for make layouts
#   freethreaded-X.Y: built from sid's source packages (provision-freethreaded.sh)
# Each tree is a directory a test can chroot into (also the "container"
# case).  Trees are cached: delete BUILD/pythons to refetch.  Sid moves, so
# no patch version is pinned.
set -eu
BUILD=${1:-build}
DEST="$BUILD/pythons"
. "$(dirname "$0")/debian-tree.sh"

# fetch NAME SUITE PACKAGES X.Y...: BUILD/pythons/NAME, checked to run each pythonX.Y.
# (debian-tree.sh's functions set tree/suite/packages: the names here differ.)
fetch() {
	name=$1 from=$2 want=$3
	shift 3
	if debian_tree_fetch "$DEST/$name" "$from" "$want"; then
		echo "provision-pythons: fetched Python $* from Debian $from into $name"
		debian_tree_check_pythons "$DEST/$name.tmp" "$@"
		debian_tree_done "$DEST/$name"
	fi
}

fetch bullseye bullseye "$(python_packages 3.9)" 3.9
fetch sid sid "$(python_packages 3.13 3.14 3.15)" 3.13 3.14 3.15
fetch sid-debug sid python3.13-dbg,python3.14-dbg,python3.15-dbg 3.13d 3.14d 3.15d
# python3.X-nopie replaces python3.X's /usr/bin/python3.X (a diversion, which
# the extract variant does not record: the later package's file is the one kept).
fetch sid-nopie sid "$(python_packages 3.13 3.14 3.15),python3.13-nopie,python3.14-nopie,python3.15-nopie" 3.13 3.14 3.15
for v in 3.13 3.14 3.15; do
	! cmp -s "$DEST/sid/usr/bin/python$v" "$DEST/sid-nopie/usr/bin/python$v" ||
		{ echo "provision-pythons: sid-nopie holds python$v's own binary, not python$v-nopie's" >&2; exit 1; }
done
# sid's CPython headers, for `make layouts` (the layout table against offsetof()):
# only /usr/include is kept.
if debian_tree_fetch "$DEST/sid-headers" sid libpython3.13-dev,libpython3.14-dev,libpython3.15-dev \
	--dpkgopt='path-exclude=/usr/lib/*' --dpkgopt='path-exclude=/usr/bin/*' \
	--dpkgopt='path-exclude=/usr/share/*'; then
	echo "provision-pythons: fetched the headers of Python 3.13-3.15 from Debian sid into sid-headers"
	debian_tree_done "$DEST/sid-headers"
fi
for tree in "$DEST"/bullseye "$DEST"/sid "$DEST"/sid-debug "$DEST"/sid-nopie; do
	for py in "$tree"/usr/bin/python3.[0-9]*; do
		case "$py" in *-config) continue ;; esac
		echo "provision-pythons: ${py##*/} $(chroot "$tree" "${py#"$tree"}" -c 'import sys; print(sys.version.split()[0])') in $tree"
	done
done
# Free-threaded builds (3.13t...) from Debian's source packages: built, not fetched.
"$(dirname "$0")/provision-freethreaded.sh" "$BUILD"
