# Sourced by tools/provision-*.sh: fetch Debian packages from another suite
# into a directory tree (for chroot or the tree's own loader), without
# touching the system's apt configuration.  Trees are cached with a
# .complete marker; delete the tree to refetch.

# The Debian mirror this machine's apt already uses.
debian_mirror() {
	for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list; do
		[ -f "$f" ] || continue
		uri=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p; s/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]*\)\{0,1\}\([^[:space:]]*\).*/\2/p' "$f" |
			grep -v -- '-security' | head -n 1)
		[ -n "$uri" ] && { echo "$uri"; return; }
	done
	echo "debian-tree: no Debian mirror found in /etc/apt sources" >&2
	exit 1
}

# The packages of a minimal CPython X.Y with its standard library.
python_packages() {
	for v in "$@"; do
		printf 'python%s-minimal,libpython%s-stdlib,libpython%s,' "$v" "$v" "$v"
	done | sed 's/,$//'
}

# debian_tree_fetch TREE SUITE PACKAGES [MMDEBSTRAP-OPTION...]
# Unpacks into TREE.tmp; returns 1 (and does nothing) if TREE is complete.
debian_tree_fetch() {
	tree=$1 suite=$2 packages=$3
	shift 3
	[ -f "$tree/.complete" ] && return 1
	command -v mmdebstrap >/dev/null || { echo "debian-tree: mmdebstrap missing: run make deps" >&2; exit 1; }
	rm -rf "$tree" "$tree.tmp"
	mkdir -p "$(dirname "$tree")"
	mmdebstrap --quiet --variant=extract \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--include="$packages" "$@" "$suite" "$tree.tmp" "$(debian_mirror)"
	# The extract variant leaves out the merged-/usr links the loader needs.
	for d in bin sbin lib lib64; do
		[ -e "$tree.tmp/$d" ] || ln -s "usr/$d" "$tree.tmp/$d"
	done
}

# debian_tree_check_pythons TREE.tmp X.Y...: each runs in the tree, or exit.
debian_tree_check_pythons() {
	tmp=$1
	shift
	for v in "$@"; do
		chroot "$tmp" "/usr/bin/python$v" -c 'import sys' ||
			{ echo "debian-tree: python$v does not run in $tmp" >&2; exit 1; }
	done
}

# debian_tree_done TREE: mark TREE.tmp complete and move it into place.
debian_tree_done() {
	touch "$1.tmp/.complete"
	mv "$1.tmp" "$1"
}
