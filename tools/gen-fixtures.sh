#!/bin/sh
# Line-table fixtures computed by CPython itself (co_lines() / dis), one file
# per interpreter present: Debian's python3.X and pyenv's versions.
set -eu
OUT=$1
mkdir -p "$OUT"
rm -f "$OUT"/linetable-*.txt
here=$(dirname "$0")
for py in /usr/bin/python3.[0-9]* /root/.pyenv/versions/3.*/bin/python3.[0-9]*; do
	case "$py" in *-config|*m) continue ;; esac
	[ -x "$py" ] || continue
	ver=$("$py" -c 'import sys; sys.version_info >= (3, 8) and print("%d.%d" % sys.version_info[:2])' 2>/dev/null) || continue
	[ -n "$ver" ] || continue
	case "$py" in /usr/bin/*) kind=debian ;; *) kind=pyenv ;; esac
	"$py" "$here/gen-linetable-fixtures.py" "$OUT/linetable-$ver-$kind.txt"
done
ls "$OUT"/linetable-*.txt | sed 's/^/fixture: /'
