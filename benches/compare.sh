#!/usr/bin/env bash
# tessera's criterion benches next to the peers (../shared/bench/peers.py), back to back on
# this machine, then one table: case, tessera median, peer median, ratio (tessera / peer).
#
#   bash benches/compare.sh [BENCH...]      # BENCH: raw csv json arrow parquet image xlsx html netcdf
#
# Without arguments: raw plus every format bench whose encoder crate builds. For each bench,
# the Rust bench runs first, then the matching peers.py cases. The peers' venv lives at
# ${TESSERA_CACHE:-$HOME/.cache/tessera}/venv-peers, installed from
# ../shared/bench/requirements-peers.txt (reinstalled when that file changes).
# Results: compare-<time>/ in the cache (criterion/, peers-*.json, table.txt).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cache="${TESSERA_CACHE:-$HOME/.cache/tessera}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
shared="$root/../shared/bench"
[[ -f "$shared/peers.py" ]] || { echo "compare: $shared/peers.py not found (shared/ beside the repo)" >&2; exit 1; }

# --- the peers' venv ------------------------------------------------------------------------
venv="$cache/venv-peers"
req="$shared/requirements-peers.txt"
want="$(sha256sum "$req" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
    echo "compare: installing $req into $venv" >&2
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
    echo "$want" > "$venv/.requirements.sha256"
fi

# --- which benches, and the peers' cases for each -------------------------------------------
declare -A PEER_CASES=(
    [raw]="/raw/,/npy/" [csv]="/csv/" [json]="/json/,/ndjson/" [arrow]="/arrow-ipc"
    [parquet]="/parquet/" [image]="/png/,/tiff/" [xlsx]="/xlsx/" [html]="/html/"
    [netcdf]="/netcdf4/,/hdf5/"
)
# Cargo features of each bench (default: the bench's name). netcdf builds libnetcdf/libhdf5
# from source (static), as `--all-features` does.
declare -A BENCH_FEATURES=([netcdf]="netcdf,netcdf4,hdf5,static")
# ... which needs CMake >= 3.26 (Debian 12 has 3.25): scripts/build-tools.sh provides one.
if [[ " $* " == *" netcdf "* ]]; then
    PATH="$(bash scripts/build-tools.sh):$PATH"
    export PATH
fi
benches=("$@")
if ((${#benches[@]} == 0)); then
    benches=(raw)
    for b in csv json arrow parquet image xlsx html; do
        # an encoder crate that is still a stub has no bench function: skip it
        grep -q "criterion_main" "benches/benches/$b.rs" && benches+=("$b")
    done
fi

out="$cache/compare-$(date +%Y%m%dT%H%M%S)"
mkdir -p "$out"
# Criterion writes this run's results here only (not mixed with other runs in the target dir).
export CRITERION_HOME="$out/criterion"
for b in "${benches[@]}"; do
    [[ -n "${PEER_CASES[$b]:-}" ]] || { echo "compare: unknown bench $b" >&2; exit 1; }
    features=()
    [[ "$b" == raw ]] || features=(--features "${BENCH_FEATURES[$b]:-$b}")
    echo "=== tessera: cargo bench --bench $b" >&2
    cargo bench -p tessera-benches --no-default-features "${features[@]}" --bench "$b"
    echo "=== peers: ${PEER_CASES[$b]}" >&2
    "$venv/bin/python" "$shared/peers.py" --no-ceilings --only "${PEER_CASES[$b]}" --json "$out/peers-$b.json"
    if [[ "$b" == netcdf ]]; then
        # xarray's scipy engine (NetCDF-3) is not in the shared peers: the crate's own script,
        # in the interop venv (it has scipy, netCDF4 and h5py pinned).
        echo "=== peers: encoders/netcdf/scripts/peers_d1.py" >&2
        "$(bash scripts/interop-venv.sh)/bin/python" encoders/netcdf/scripts/peers_d1.py | tee "$out/peers-netcdf-d1.txt"
    fi
done

# All peer records in one file for the report.
"$venv/bin/python" - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
records = [r for f in sorted(out.glob("peers-*.json")) for r in json.loads(f.read_text())["records"]]
(out / "peers.json").write_text(json.dumps({"records": records}))
PY
python3 scripts/compare_report.py "$CRITERION_HOME" "$out/peers.json" | tee "$out/table.txt"
echo "compare: results in $out" >&2
