#!/usr/bin/env bash
# Peak resident memory of a `tessera serve demo` process while it streams the largest exports:
# big_image (10000x10000 float64, 800 MB) as raw bytes and huge_table (10 million rows) as CSV.
# Target: < 200 MB. Usage: server/scripts/stream-memory.sh [path/to/tessera]
set -euo pipefail
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/tessera}
LOG=$(mktemp)
"$BIN" serve demo --public --port 0 2>"$LOG" &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 100); do grep -q "running on" "$LOG" && break; sleep 0.1; done
PORT=$(grep -o 'running on http://127.0.0.1:[0-9]*' "$LOG" | grep -o '[0-9]*$')
rss() { awk '/^VmRSS/ {print $2}' /proc/$PID/status; }
run() {
  local name=$1 url=$2 peak=0 r
  curl -s -o /dev/null -w "%{http_code} %{size_download} %{time_total}\n" "$url" > /tmp/stream-memory.$$ &
  local c=$!
  while kill -0 $c 2>/dev/null; do r=$(rss); (( r > peak )) && peak=$r; sleep 0.05; done
  read -r code bytes secs < /tmp/stream-memory.$$
  rm -f /tmp/stream-memory.$$
  printf '%-32s status %s  %12s bytes  %7.2f s  %7.1f MB/s  peak RSS %6.1f MB\n' \
    "$name" "$code" "$bytes" "$secs" "$(echo "$bytes / $secs / 1000000" | bc -l)" "$(echo "$peak / 1024" | bc -l)"
}
U=http://127.0.0.1:$PORT/api/v1
echo "idle RSS $(echo "$(rss) / 1024" | bc -l | cut -c1-5) MB"
run "big_image raw (800 MB)" "$U/array/full/big_image"
run "big_image csv (slice 2000 rows)" "$U/array/full/big_image?format=csv&slice=0:2000"
run "huge_table csv (10M rows)" "$U/table/full/huge_table?format=csv"
run "huge_table arrow (10M rows)" "$U/table/full/huge_table?format=arrow"
echo "peak RSS over the whole run (VmHWM): $(awk '/^VmHWM/ {print $2/1024}' /proc/$PID/status) MB"
