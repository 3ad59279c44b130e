#!/usr/bin/env bash
# tessera's HTTP server side by side with real Tiled 0.2.20 and roapi 0.12.7, in one sitting
# (bench/server/README.md says what is measured and the targets).
#
#   bash scripts/bench-server.sh [--runs N] [--quick] [--parts read,write,roapi] [--load-tool hey|wrk]
#
# 1. the venv ${TESSERA_CACHE:-$HOME/.cache/tessera}/venv-tiled, installed from
#    bench/server/requirements.txt (tiled[server]==0.2.20, roapi==0.12.7, ...; reinstalled when
#    that file changes);
# 2. hey, wrk and iperf3 (the loopback ceiling) from Debian packages when missing;
# 3. cargo build --release -p tessera-server;
# 4. bench/server/bench_server.py: every server on 127.0.0.1, started and stopped by it; it imports
#    the shared reference ../shared/bench/tiled_baseline.py (override: TILED_BASELINE=path).
# Results: bench-server-<time>/ in the cache (results.json, report.md, work/ with server logs),
# and the report on stdout. --quick checks the harness (few cases, 1 run, 2 s load tests): its
# figures are not figures.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${TESSERA_CACHE:-$HOME/.cache/tessera}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
ref="${TILED_BASELINE:-$root/../shared/bench/tiled_baseline.py}"
[[ -f "$ref" ]] || { echo "bench-server: $ref not found (shared/ beside the repo, or TILED_BASELINE)" >&2; exit 1; }
export TILED_BASELINE="$ref"

# --- the venv -------------------------------------------------------------------------------
venv="$cache/venv-tiled"
req="$root/bench/server/requirements.txt"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
    echo "bench-server: installing $req into $venv" >&2
    mkdir -p "$cache"
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    "$venv/bin/python" -m pip check >&2
    echo "$want" > "$venv/.requirements.sha256"
fi

# --- load generators (Debian packages) ------------------------------------------------------
missing=()
for tool in hey wrk curl iperf3; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
    echo "bench-server: apt-get install ${missing[*]}" >&2
    sudo=(); [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 || {
        "${sudo[@]}" apt-get update -qq && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null; }
fi

# --- the server -----------------------------------------------------------------------------
cargo build --release -p tessera-server --bin tessera
tessera="$CARGO_TARGET_DIR/release/tessera"

# --- run --------------------------------------------------------------------------------------
out="$cache/bench-server-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$out"
status=0
"$venv/bin/python" "$root/bench/server/bench_server.py" --tessera "$tessera" --out "$out" "$@" \
    2>&1 | tee "$out/log.txt" || status=$?
# The servers' data (catalogs with uploads, roapi's Parquet files) is large: keep only the logs.
find "$out/work" -type f ! -name '*.log' -delete 2>/dev/null || true
find "$out/work" -depth -type d -empty -delete 2>/dev/null || true
# tessera logs every request (~1.5 KB each): the load tests leave logs of 100+ MB.
find "$out/work" -type f -name '*.log' -size +1M -exec gzip -f {} + 2>/dev/null || true
echo "bench-server: results in $out" >&2
exit "$status"
