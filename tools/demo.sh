#!/bin/sh
# Profile the bundled demo workload for 5 seconds into demo.json.
set -eu
PYBPF=${1:-build/pybpf}
OUT=${2:-demo.json}
PYTHON=${PYTHON:-/usr/bin/python3.11}
here=$(dirname "$0")

"$PYTHON" "$here/demo/demo_app.py" 30 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT INT TERM
sleep 0.5
echo "demo: profiling $PYTHON demo_app.py (PID $app) for 5 s at 1000 Hz"
"$PYBPF" record -p "$app" -d 5 -r 1000 -o "$OUT"
echo "demo: open $OUT at https://www.speedscope.app (or: npx speedscope $OUT)"
