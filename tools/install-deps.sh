#!/bin/sh
# Install pybpf's build and test dependencies from Debian (bookworm), and the
# npm packages the tests use, pinned by tools/npm/package-lock.json.  The
# tests drive Debian's chromium with playwright-core; no browser is downloaded.
set -eu

# libclang-rt-14-dev: libFuzzer and the sanitizer runtimes (`make fuzz`), only
# recommended by clang.  build-essential, debhelper, lintian: `make deb`;
# bash-completion loads the completion `make install` puts in place.
# qemu-system-x86, busybox-static, kmod, python3-requests, python3-argcomplete:
# `make kernels` boots Debian's kernels with virtme-ng (tools/kernels/).
# dpkg-dev, xz-utils, libffi-dev: `make pythons` builds free-threaded CPythons
# from Debian source packages (libffi for ctypes, which workloads use).
PACKAGES="make gcc clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev pkg-config libclang-rt-14-dev
libcriterion-dev libncurses-dev tmux python3.11 python3.11-dev util-linux procps mmdebstrap
chromium build-essential debhelper lintian man-db bash-completion
qemu-system-x86 busybox-static kmod python3-requests python3-argcomplete
dpkg-dev xz-utils libffi-dev"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
# node and npm may come from Debian or already be on the machine.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
make -s npm
echo "install-deps: all dependencies present"
