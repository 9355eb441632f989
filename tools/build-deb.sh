#!/bin/sh
# make deb: pybpf's Debian package, built with Debian's own tooling from a
# copy of the tracked sources (tools/debian/ becomes its debian/), then
# checked with lintian.  Prints the .deb's path.
#   usage: tools/build-deb.sh BUILD_DIR COMMIT
set -eu
out=$(realpath -m "$1")
commit=$2
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(dpkg-parsechangelog -l "$root/tools/debian/changelog" -S Version)
src="$out/pybpf-$version"

rm -rf "$out"
mkdir -p "$src"
# The sources as they are in the working tree: tracked, or new and not ignored (no build products).
(cd "$root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$src"
cp -r "$root/tools/debian" "$src/debian"
echo "$commit" > "$src/debian/commit"
# Nothing of the calling make may reach the package's own (its BUILD=, say:
# its clean would remove the caller's build directory).
(cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u BUILD \
	dpkg-buildpackage --build=binary --no-sign >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (whole log: $out/build.log)" >&2
	exit 1
}
deb="$out/pybpf_${version}_amd64.deb"
# Errors fail the build; warnings are shown.
lintian --fail-on error --tag-display-limit 0 "$deb" >&2
echo "$deb"
