#!/bin/bash
# apt for another Debian suite with its own configuration and state under
# the VM cache; never touches the host's apt sources or state.
# usage: debian-apt.sh SUITE apt-get|apt-cache ARGS...
set -euo pipefail
SUITE=$1; shift
TOOL=$1; shift
. "$(dirname "$0")/../debian-tree.sh"
MIRROR=${MIRROR:-$(debian_mirror)}
BASE=${PYBPF_VM_CACHE:-/var/cache/pybpf/vm}/apt/$SUITE
mkdir -p "$BASE"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,state/lists/partial,cache/archives/partial}
if [ ! -f "$BASE/etc/sources.list" ]; then
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $MIRROR $SUITE main" > "$BASE/etc/sources.list"
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
