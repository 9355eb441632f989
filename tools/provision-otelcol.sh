#!/bin/bash
# Build the OpenTelemetry Collector the --otlp tests send to (tools/otelcol:
# the OTLP receiver, the debug exporter and a JSON-lines one) from Debian
# sid's own Go packages, offline: golang-go and
# golang-opentelemetry-collector-dev (the collector core's sources, with
# what they import) unpacked into a sid tree, built there in GOPATH mode.
# Link it as BUILD/otelcol/pybpf-otelcol.
#
# Minutes on a fresh machine (the tree is about 3 GB), so both the tree
# and the binary are cached outside the clone under
# ${PYBPF_CACHE:-/var/cache/pybpf}/otelcol: the binary keyed by the
# sources here and the tree it was built in.  Delete the tree to refetch
# sid's packages.
set -euo pipefail
BUILD=${1:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${PYBPF_CACHE:-/var/cache/pybpf}/otelcol
TREE=$CACHE/sid-go
# shellcheck source=debian-tree.sh
. "$HERE/debian-tree.sh"

mkdir -p "$CACHE" "$BUILD/otelcol"
if debian_tree_fetch "$TREE" sid golang-go,golang-opentelemetry-collector-dev,ca-certificates; then
	echo "provision-otelcol: fetched Go and the collector's sources from Debian sid into $TREE"
	# What the binary is built from, for its cache key.
	date -u +%FT%TZ > "$TREE.tmp/.fetched"
	debian_tree_done "$TREE"
fi
KEY=$( (cat "$HERE"/otelcol/*.go "$TREE/.fetched") | sha256sum | cut -c1-16)
BIN=$CACHE/pybpf-otelcol-$KEY
if [ ! -x "$BIN" ]; then
	echo "provision-otelcol: building the test collector in $TREE (a few minutes)"
	goroot=$(ls -d "$TREE"/usr/lib/go-1.* | sort -V | tail -n 1)
	goroot=${goroot#"$TREE"}
	rm -rf "$TREE/build"
	mkdir -p "$TREE/build/src/pybpfotelcol" "$TREE/proc" "$TREE/gocache"
	cp "$HERE"/otelcol/*.go "$TREE/build/src/pybpfotelcol/"
	# Go reads /proc; the tree has no shell or coreutils, so env runs out here.
	mountpoint -q "$TREE/proc" || mount --bind /proc "$TREE/proc"
	trap 'umount "$TREE/proc" 2>/dev/null || true' EXIT
	if ! env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/build GO111MODULE=off GOPATH=/build:/usr/share/gocode \
		GOROOT="$goroot" GOCACHE=/gocache GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0 \
		GOFLAGS=-p="$(nproc)" nice -n 10 chroot "$TREE" "$goroot/bin/go" build -o /build/pybpf-otelcol pybpfotelcol \
		> "$CACHE/build.log" 2>&1; then
		echo "provision-otelcol: building the collector failed:" >&2
		tail -n 30 "$CACHE/build.log" >&2
		exit 1
	fi
	umount "$TREE/proc"
	trap - EXIT
	mv "$TREE/build/pybpf-otelcol" "$BIN.tmp"
	rm -rf "$TREE/build"
	mv "$BIN.tmp" "$BIN"
fi
ln -sf "$BIN" "$BUILD/otelcol/pybpf-otelcol"
cp "$HERE"/otelcol/*.yaml "$BUILD/otelcol/"
echo "provision-otelcol: $("$BIN" --version 2>/dev/null || echo "$BIN")"
