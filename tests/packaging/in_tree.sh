# Run a command chrooted into a Debian tree, as on another distribution:
# in a private mount namespace, a fresh root on tmpfs gets the tree's /usr
# (and its merged-/usr links), the host's /proc, /sys and /dev (pybpf needs
# them: processes, BTF, perf events), and FILE... copied into its /tmp.
#   usage: unshare --mount --propagation private sh in_tree.sh TREE 'FILE...' COMMAND [ARG...]
set -eu
tree=$1 files=$2
shift 2
root=$(mktemp -d)
mount -t tmpfs pybpf-tree "$root"
mkdir -p "$root/usr" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/tmp"
mount --rbind "$tree/usr" "$root/usr"
mount --rbind "$tree/etc" "$root/etc"
for d in bin sbin lib lib64; do
	[ -e "$tree/$d" ] && ln -s "usr/$d" "$root/$d"
done
for d in proc sys dev; do
	mount --rbind "/$d" "$root/$d"
done
for f in $files; do
	cp "$f" "$root/tmp/"
done
exec chroot "$root" "$@"
