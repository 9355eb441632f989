#!/bin/bash
# usage: vm-run.sh SUITE [-- ] COMMAND...
#   Boots Debian SUITE's (bullseye|bookworm|trixie|sid|...) stock kernel (linux-image-amd64)
#   under QEMU/TCG with the host root filesystem shared read-only (virtiofs, or 9p) via sid's virtme-ng,
#   runs COMMAND as root in the guest, prints its stdout/stderr, exits with its exit status.
# env: CPUS (2) MEM (2G) TIMEOUT (300 s) KVM (0; 1 = try KVM) FLAVOUR (amd64|cloud-amd64)
#      BOOT_TIMEOUT (240 s: a guest that has not started COMMAND by then is stopped and
#      booted again, BOOT_TRIES (3) boots in all)
#      NICE (-19: the VM's threads go ahead of the host's other work; 0: they share evenly)
#      VIRTIOFS (1 default: root over virtiofs using trixie virtiofsd; 0: root over 9p, slower)
#      OUT (a host directory shared read-write at the same path via 9p; none by default;
#           required for FLAVOUR=cloud-amd64 whose kernel has no 9p) APPEND (extra kernel cmdline)
#      CONSOLE_LOG (file for the guest serial console; default CACHE/logs/SUITE-console.log)
#      SHOW_CONSOLE=1 to dump the console log to stderr when done
# exit: COMMAND's status; 124 = timeout; 255 = vng/guest failure (see console log)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=${PYBPF_VM_CACHE:-/var/cache/pybpf/vm}
[ $# -ge 2 ] || { sed -n 2,13p "$0" >&2; exit 2; }
SUITE=$1; shift
[ "${1:-}" = "--" ] && shift
mkdir -p "$TOP"
"$HERE/vm-setup.sh" || exit 255
KDIR=$(FLAVOUR=${FLAVOUR:-amd64} "$HERE/fetch-kernel.sh" "$SUITE" 2>"$TOP/fetch-$SUITE.log") || { cat "$TOP/fetch-$SUITE.log" >&2; exit 255; }
KIMG=$(ls "$KDIR"/boot/vmlinuz-* | head -1)
OUT=${OUT-}; mkdir -p $OUT "$TOP/logs"   # OUT= (empty) disables the rw share
CONSOLE_LOG=${CONSOLE_LOG:-$TOP/logs/$SUITE-console.log}; : > "$CONSOLE_LOG"
# guest command: quote each argv word, so `vm-run.sh sid -- sh -c 'a; b'` works as expected
cmd=$(printf '%q ' "$@")
[ $# -eq 1 ] && cmd=$1          # a single argument is taken as a shell snippet
vngargs=(--verbose --cpus "${CPUS:-2}" --memory "${MEM:-2G}"
         --qemu "$HERE/qemu-wrap" --run "$KIMG")
[ -n "$OUT" ] && vngargs+=(--rwdir "$OUT")   # always 9p (vng 1.41), even with VIRTIOFS=1
# virtme-ng mounts an empty tmpfs on the guest's /var/cache, where `make pythons`
# keeps the interpreters it builds (build/pythons/freethreaded-* link there):
# share that cache read-only at its own path.
PYTHONS_CACHE=${PYBPF_CACHE:-/var/cache/pybpf}/pythons
[ -d "$PYTHONS_CACHE" ] && vngargs+=(--rodir "$PYTHONS_CACHE")
if [ "${VIRTIOFS:-1}" = 1 ]; then
  # root fs over virtiofs with trixie virtiofsd (fetched by vm-setup.sh)
  export PATH=$TOP/bin:$PATH
else
  vngargs+=(--force-9p)   # bookworm has no Rust virtiofsd; vng refuses qemu C one
fi
if [ "${KVM:-0}" = 1 ]; then
  [ -w /dev/kvm ] || echo "vm-run: KVM=1 but /dev/kvm is not usable; vng will fall back to TCG" >&2
else
  vngargs+=(--disable-kvm)
fi
[ -n "${APPEND:-}" ] && vngargs+=(--append "$APPEND")
# A guest that never starts COMMAND would take all of TIMEOUT (1800 s for
# `make kernels`): the guest prints a line of its own before COMMAND, taken
# out of its output here; a guest that has not printed it within
# BOOT_TIMEOUT is stopped and booted again.
#
# QEMU reopens /proc/self/fd/1 and /proc/self/fd/2 for the guest's stdout/stderr; if those are
# regular files this gives it its own file offset (our later writes would overwrite its output).
# Route both through pipes so any kind of stdout/stderr works.
# The guest's clock is the host's: while the host leaves a vCPU thread
# waiting, the guest's time runs on and whatever the guest was running
# seems to have taken it, which timing tests in the guest would see (a
# loaded host).  The VM's threads (QEMU's vCPUs, virtiofsd) go ahead of
# the host's other work: NICE (-19; 0 to share the host evenly).
boot_once() {   # sets boot_rc: COMMAND's status, or "hung"
  local state marker waited=0 pipeline hung=0
  state=$(mktemp -d "$TOP/logs/boot.XXXXXX")
  marker="vm-run: command started ${state##*.}"
  # virtme-ng passes --exec's command on the kernel's command line, which
  # x86 holds to 2,048 bytes: past that the guest never runs it (make
  # kernels' whole command is that long).  The guest reads it from a file
  # instead, in a directory shared with it read-only.
  printf "echo '%s'\n%s\n" "$marker" "$cmd" > "$state/command.sh"
  { { PYBPF_VM_QEMU_ARGS_LOG=$TOP/logs/$SUITE-qemu-args.txt PYBPF_VM_CONSOLE_LOG=$CONSOLE_LOG \
        nice -n "${NICE:--19}" timeout --kill-after=10 "${TIMEOUT:-300}" \
        "$TOP/bin/vng" "${vngargs[@]}" --rodir "$state" --exec "bash $state/command.sh" 2>&1 1>&3 3>&- &
      echo $! > "$state/pid"; wait $!; echo $? > "$state/rc"; } \
      | grep --line-buffered -vx 'virtme: waiting for virtiofsd to start' >&2; } 3>&1 |
    while IFS= read -r line || [ -n "$line" ]; do
      if [ "$line" = "$marker" ]; then touch "$state/started"; else printf '%s\n' "$line"; fi
    done &
  pipeline=$!
  while [ ! -e "$state/rc" ] && [ ! -e "$state/started" ] && [ $waited -lt "${BOOT_TIMEOUT:-240}" ]; do
    sleep 1; waited=$((waited + 1))
  done
  if [ ! -e "$state/rc" ] && [ ! -e "$state/started" ]; then
    hung=1
    kill -TERM "$(cat "$state/pid")" 2>/dev/null
  fi
  wait $pipeline
  boot_rc=$(cat "$state/rc" 2>/dev/null || echo 255)
  [ $hung = 1 ] && boot_rc=hung
  rm -rf "$state"
}
start=$(date +%s.%N)
tries=${BOOT_TRIES:-3}
for try in $(seq 1 "$tries"); do
  boot_once
  rc=$boot_rc
  [ "$rc" != hung ] && break
  echo "vm-run: the $SUITE guest had not started its command ${BOOT_TIMEOUT:-240} s after boot $try of $tries began" >&2
  rc=124
done
end=$(date +%s.%N)
printf 'vm-run: suite=%s kernel=%s rc=%s wall=%.1fs console=%s\n' \
  "$SUITE" "${KIMG##*/vmlinuz-}" "$rc" "$(echo "$end - $start" | bc)" "$CONSOLE_LOG" >&2
[ "${SHOW_CONSOLE:-0}" = 1 ] && cat "$CONSOLE_LOG" >&2
exit $rc
