#!/bin/bash
# What booting Debian's kernels needs besides the host's packages (make deps),
# fetched once into the VM cache:
#  - sid's virtme-ng, unpacked into CACHE/vng-prefix and run with the host's python3
#  - patch the guest init so it works without udev on the host root
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${PYBPF_VM_CACHE:-/var/cache/pybpf/vm}
for tool in qemu-system-x86_64 busybox depmod mmdebstrap; do
	command -v $tool >/dev/null || { echo "vm-setup: $tool missing: run make deps" >&2; exit 1; }
done
VNG_SUITE=${VNG_SUITE:-sid}
if [ ! -f "$TOP/vng-prefix/.complete" ]; then
  "$HERE/../debian-apt.sh" "$VNG_SUITE" apt-get update -qq >&2
  mkdir -p "$TOP/debs/$VNG_SUITE"
  ( cd "$TOP/debs/$VNG_SUITE" && "$HERE/../debian-apt.sh" "$VNG_SUITE" apt-get download -q virtme-ng 2>&1 | grep -v unsandboxed >&2 || true )
  rm -rf "$TOP/vng-prefix"
  dpkg-deb -x "$(ls -t "$TOP/debs/$VNG_SUITE"/virtme-ng_*.deb | head -1)" "$TOP/vng-prefix"
  # Debian's virtme-ng has no virtme-ng-init (Rust) binary, so the bash virtme-init is used.
  # It relies on udevd to create /dev/virtio-ports/<name>; this host has no udev, so without
  # the links the script falls back to the serial console and the exit status is lost (rc 255).
  # Create the links ourselves when udevd is missing.
  init=$TOP/vng-prefix/usr/lib/python3/dist-packages/virtme/guest/virtme-init
  python3 - "$init" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read()
old = '        log "udevd not found"\n'
new = old + '''        # no udev on the host root: make udev's /dev/virtio-ports/<name> symlinks
        mkdir -p /dev/virtio-ports
        for vp in /sys/class/virtio-ports/vport*; do
            [[ -r $vp/name ]] || continue
            vpname=$(< "$vp/name")
            [[ -n $vpname ]] && ln -sf "/dev/${vp##*/}" "/dev/virtio-ports/$vpname"
        done
'''
assert s.count(old) == 1, "virtme-init layout changed; patch needs updating"
open(p, 'w').write(s.replace(old, new))
PY
  touch "$TOP/vng-prefix/.complete"
fi
# trixie's Rust virtiofsd (bookworm has none; qemu's C virtiofsd is refused by vng) + trixie's
# glibc, extracted (not installed) and run through its own loader by CACHE/bin/virtiofsd.
if [ ! -x "$TOP/virtiofsd-root/usr/libexec/virtiofsd" ]; then
  rm -rf "$TOP/virtiofsd-root"
  mmdebstrap --quiet --variant=extract --include=virtiofsd,libc6,libseccomp2,libcap-ng0,libgcc-s1 \
    trixie "$TOP/virtiofsd-root" "${MIRROR:-$(. "$HERE/../debian-tree.sh"; debian_mirror)}" >&2
fi
# Launchers in CACHE/bin: virtme-ng with the host's python3, virtiofsd with trixie's loader.
mkdir -p "$TOP/bin"
cat >"$TOP/bin/vng" <<EOS
#!/bin/sh
export PYTHONPATH=$TOP/vng-prefix/usr/lib/python3/dist-packages PATH=$TOP/vng-prefix/usr/bin:\$PATH
exec /usr/bin/python3 $TOP/vng-prefix/usr/bin/vng "\$@"
EOS
cat >"$TOP/bin/virtiofsd" <<EOS
#!/bin/sh
R=$TOP/virtiofsd-root
exec \$R/usr/lib64/ld-linux-x86-64.so.2 --library-path \$R/usr/lib/x86_64-linux-gnu \$R/usr/libexec/virtiofsd "\$@"
EOS
chmod +x "$TOP/bin/vng" "$TOP/bin/virtiofsd"
