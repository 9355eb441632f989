#!/bin/bash
# Build free-threaded CPythons (--disable-gil: 3.13t, 3.14t, 3.15t) from
# Debian's own source packages of python3.13/3.14/3.15 in sid, for each
# minor whose source the mirror has, and link them into
# BUILD/pythons/freethreaded-X.Y (BUILD/pythons/freethreaded-X.Y/usr/local/bin/pythonX.Yt).
#
# A build takes minutes, so it is cached outside the clone, keyed by the
# source package's .dsc digest and the build recipe (configure options), under
# ${PYBPF_CACHE:-/var/cache/pybpf}/pythons: later runs and other clones on
# the machine reuse it.  Debian's patches adapt CPython to Debian's
# packaging (multiarch paths, the dist-packages scheme); they are not
# applied: the build is upstream's source as Debian ships it, configured
# with upstream's options, static libpython, installed under /usr/local of
# a tree of its own (relocatable: the interpreter finds its library from
# its own path).  What was built and what could not be is written to
# BUILD/pythons/freethreaded.txt, which the tests read.
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${PYBPF_CACHE:-/var/cache/pybpf}
DEST="$BUILD/pythons"
export DEBIAN_APT_SOURCES=1 DEBIAN_APT_CACHE="$CACHE"
APT="$HERE/debian-apt.sh sid"
# The build recipe: part of the cache key, with the source package's digest.
CONFIGURE="--disable-gil --prefix=/usr/local --without-ensurepip"
RECIPE=$(echo "$CONFIGURE --skip-patches" | sha256sum | cut -c1-8)
JOBS=$(nproc)

mkdir -p "$DEST" "$CACHE/pythons"
$APT apt-get update -qq 2>&1 | grep -v unsandboxed || true
: > "$DEST/freethreaded.txt.tmp"

# fetch_source X.Y DIR: the newest pythonX.Y source package of sid the
# mirror serves, downloaded into DIR; prints its version, or fails.
fetch_source() {
	local minor=$1 dir=$2 v
	for v in $($APT apt-cache showsrc "python$minor" 2>/dev/null | sed -n 's/^Version: //p' | sort -rV); do
		if (cd "$dir" && $APT apt-get source -qq --download-only "python$minor=$v" >/dev/null 2>&1); then
			echo "$v"
			return 0
		fi
		rm -f "$dir"/*
	done
	return 1
}

# build X.Y: the cached tree for sid's pythonX.Y source, built if missing.
build() {
	local minor=$1 work version dsc key tree
	work=$(mktemp -d "$CACHE/pythons/.src-XXXXXX")
	if ! version=$(fetch_source "$minor" "$work"); then
		rm -rf "$work"
		echo "provision-pythons: the mirror serves no source of python$minor: ${minor}t not built"
		echo "${minor}t none no source of python$minor on the Debian mirror" >> "$DEST/freethreaded.txt.tmp"
		return 0
	fi
	dsc=$(ls "$work"/*.dsc)
	key="python${minor}_${version}-disable-gil-$(sha256sum "$dsc" | cut -c1-12)-$RECIPE"
	tree="$CACHE/pythons/$key"
	if [ ! -f "$tree/.complete" ]; then
		echo "provision-pythons: building python${minor}t from Debian's python$minor $version source (a few minutes)"
		rm -rf "$tree" "$tree.tmp"
		# apt checked the files against the signed Sources index; dpkg-source has no key for the .dsc.
		dpkg-source -x --skip-patches "$dsc" "$work/src" >"$work/unpack.log" 2>&1 ||
			{ echo "provision-pythons: unpacking $dsc failed:" >&2; cat "$work/unpack.log" >&2; exit 1; }
		(cd "$work/src" &&
			./configure -q $CONFIGURE >"$work/configure.log" 2>&1 &&
			make -s -j"$JOBS" >"$work/make.log" 2>&1 &&
			make -s install DESTDIR="$tree.tmp" >"$work/install.log" 2>&1) || {
			echo "provision-pythons: building python${minor}t failed; the logs' ends:" >&2
			tail -n 20 "$work"/*.log >&2
			exit 1
		}
		# The point of the build: no GIL, and threading works.
		"$tree.tmp/usr/local/bin/python${minor}t" -c 'import sys, threading; assert not sys._is_gil_enabled()' ||
			{ echo "provision-pythons: python${minor}t runs with a GIL" >&2; exit 1; }
		touch "$tree.tmp/.complete"
		mv "$tree.tmp" "$tree"
	fi
	rm -rf "$work"
	ln -sfn "$tree" "$DEST/freethreaded-$minor"
	echo "${minor}t $version built from Debian's python$minor $version source" >> "$DEST/freethreaded.txt.tmp"
	echo "provision-pythons: python${minor}t $("$tree/usr/local/bin/python${minor}t" -c 'import sys; print(sys.version.split()[0])') (free-threaded) in $tree"
}

for minor in 3.13 3.14 3.15; do
	build "$minor"
done
mv "$DEST/freethreaded.txt.tmp" "$DEST/freethreaded.txt"
