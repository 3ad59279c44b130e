#!/usr/bin/env bash
# The Python interop suite: tessera's outputs read back by independent readers (numpy, pandas,
# pyarrow, Pillow, tifffile, openpyxl, html.parser) and compared with the source data.
#
#   bash scripts/interop.sh [pytest args...]
#
# 1. builds benches/examples/dump_outputs.rs and the `tessera` server with every format
#    compiled in (dev profile, the workspace's feature set: after `scripts/test.sh` nothing is
#    recompiled);
# 2. runs it into a temporary directory (TESSERA_INTEROP_OUT), removed afterwards;
# 3. runs pytest on tests/interop in the pinned venv (scripts/interop-venv.sh).
# CARGO_TARGET_DIR defaults to the cache outside the clone, as in .ci/run.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${TESSERA_CACHE:-$HOME/.cache/tessera}/target}"

venv="$(bash scripts/interop-venv.sh)"

cargo build --workspace --all-features --example dump_outputs --bin tessera
out="$(mktemp -d "${TMPDIR:-/tmp}/tessera-interop.XXXXXX")"
trap 'rm -rf "$out"' EXIT
"$CARGO_TARGET_DIR/debug/examples/dump_outputs" "$out"

export TESSERA_INTEROP_OUT="$out"
# The server the Tiled-client test starts: the all-formats build above, not whatever other
# profile or feature set happens to be in the target dir.
export TESSERA_BIN="$CARGO_TARGET_DIR/debug/tessera"
status=0
"$venv/bin/python" -m pytest tests/interop -ra "$@" || status=$?
if [[ $status -eq 5 ]]; then
    # pytest's "no tests collected": the suite always has tests, so this is a failure
    # (a broken conftest, or a -k that matched nothing).
    echo "interop: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
