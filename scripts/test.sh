#!/usr/bin/env bash
# The project's test command (README: `bash scripts/test.sh`): unit, integration and doc tests
# of every crate in the workspace with every feature on (all formats compiled in).
# Extra arguments go to `cargo test` (e.g. `bash scripts/test.sh -p tessera-csv`).
# The Python interop suite is separate: scripts/interop.sh.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${TESSERA_CACHE:-$HOME/.cache/tessera}/target}"
# Tools the build needs beyond Rust (a recent CMake for the static C libraries).
PATH="$(bash scripts/build-tools.sh):$PATH"
exec cargo test --workspace --all-features "$@"
