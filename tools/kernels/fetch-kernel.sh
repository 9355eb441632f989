#!/bin/bash
# Debian SUITE's own kernel (linux-image-amd64), unpacked into the VM cache:
# prints CACHE/kernels/SUITE, with boot/vmlinuz-* and lib/modules/*.
# usage: fetch-kernel.sh SUITE
# FLAVOUR=amd64 (default) or cloud-amd64
set -euo pipefail
SUITE=$1
FLAVOUR=${FLAVOUR:-amd64}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${PYBPF_VM_CACHE:-/var/cache/pybpf/vm}
PAPT=$HERE/../debian-apt.sh
DEST=$TOP/kernels/$SUITE${FLAVOUR:+}
[ "$FLAVOUR" = amd64 ] || DEST=$TOP/kernels/$SUITE-$FLAVOUR
if ls "$DEST"/boot/vmlinuz-* >/dev/null 2>&1 && [ -f "$DEST/.complete" ]; then echo "$DEST"; exit 0; fi
# refresh private index at most once per day
stamp=$TOP/apt/$SUITE/state/.updated
if [ ! -f "$stamp" ] || [ -n "$(find "$stamp" -mmin +1440)" ]; then
  "$PAPT" "$SUITE" apt-get update -qq >&2; mkdir -p "$(dirname "$stamp")"; touch "$stamp"
fi
meta=linux-image-$FLAVOUR
img=$("$PAPT" "$SUITE" apt-cache depends "$meta" | awk '/^ *Depends: linux-image-/{print $2; exit}')
[ -n "$img" ] || { echo "cannot resolve $meta in $SUITE" >&2; exit 1; }
krel=${img#linux-image-}
# sid/forky split the image into linux-image/-binary/-modules/-base-<krel>; take every linux-* dep carrying krel
pkgs=$img
for d in $("$PAPT" "$SUITE" apt-cache depends "$img" | awk '/Depends: linux-/{print $2}'); do
  case $d in *"$krel"*) pkgs="$pkgs $d";; esac
done
mkdir -p "$TOP/debs/$SUITE" "$DEST"
( cd "$TOP/debs/$SUITE" && "$PAPT" "$SUITE" apt-get download -q $pkgs 2>&1 | grep -v unsandboxed >&2 || true )
for p in $pkgs; do
  deb=$(ls -t "$TOP/debs/$SUITE/${p}_"*.deb | head -1)
  echo "extract $deb" >&2
  dpkg-deb -x "$deb" "$DEST"
done
# normalise merged-/usr layouts (trixie+: /usr/lib/modules; sid: vmlinuz inside the modules dir)
if [ ! -e "$DEST/lib" ] && [ -d "$DEST/usr/lib/modules" ]; then ln -s usr/lib "$DEST/lib"; fi
mkdir -p "$DEST/boot"
if [ ! -e "$DEST/boot/vmlinuz-$krel" ] && [ -f "$DEST/lib/modules/$krel/vmlinuz" ]; then
  ln -s "../lib/modules/$krel/vmlinuz" "$DEST/boot/vmlinuz-$krel"
fi
# depmod so modprobe inside the guest (and vng's module finder) can resolve deps
depmod -a -b "$DEST" "$krel"
echo "$pkgs" > "$DEST/.packages"
touch "$DEST/.complete"
echo "$DEST"
