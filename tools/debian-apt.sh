#!/bin/bash
# apt for another Debian suite with its own configuration and state, never
# the host's sources or state.  The state lives under DEBIAN_APT_CACHE
# (default: the VM cache, PYBPF_VM_CACHE or /var/cache/pybpf/vm).  With
# DEBIAN_APT_SOURCES=1 it knows the suite's source packages too (apt-get
# source), in a state of its own, so binary-only users never fetch the
# larger source indexes.
# usage: debian-apt.sh SUITE apt-get|apt-cache ARGS...
set -euo pipefail
SUITE=$1; shift
TOOL=$1; shift
. "$(dirname "$0")/debian-tree.sh"
MIRROR=${MIRROR:-$(debian_mirror)}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
if [ "${DEBIAN_APT_SOURCES:-0}" = 1 ]; then
  BASE=${DEBIAN_APT_CACHE:-${PYBPF_VM_CACHE:-/var/cache/pybpf/vm}}/apt/$SUITE-source
  LIST="deb-src [signed-by=$KEYRING] $MIRROR $SUITE main"
else
  BASE=${DEBIAN_APT_CACHE:-${PYBPF_VM_CACHE:-/var/cache/pybpf/vm}}/apt/$SUITE
  LIST="deb [signed-by=$KEYRING] $MIRROR $SUITE main"
fi
mkdir -p "$BASE"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,state/lists/partial,cache/archives/partial}
if [ ! -f "$BASE/etc/sources.list" ]; then
  echo "$LIST" > "$BASE/etc/sources.list"
  : > "$BASE/state/status"
fi
exec "$TOOL" \
  -o Dir::Etc="$BASE/etc" -o Dir::Etc::sourcelist="$BASE/etc/sources.list" \
  -o Dir::Etc::sourceparts="$BASE/etc/sources.list.d" \
  -o Dir::Etc::Parts="$BASE/etc/apt.conf.d" -o Dir::Etc::Preferences="$BASE/etc/preferences" \
  -o Dir::Etc::PreferencesParts="$BASE/etc/preferences.d" \
  -o Dir::State="$BASE/state" -o Dir::State::status="$BASE/state/status" \
  -o Dir::Cache="$BASE/cache" -o APT::Architecture=amd64 -o APT::Architectures::=amd64 \
  -o Acquire::Languages=none -o Debug::NoLocking=1 "$@"
