#!/usr/bin/env bash
# Runs every fuzz target for N seconds each (default 60):  bash scripts/fuzz-all.sh [N]
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). A crash stops the
# script with cargo-fuzz's report; the reproducer is in fuzz/artifacts/<target>/.
set -euo pipefail

secs="${1:-60}"
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
# The fuzz workspace keeps its own target dir (fuzz/target): sanitizer builds differ.
unset CARGO_TARGET_DIR
for target in $(cargo +nightly fuzz list); do
    echo "== $target (${secs}s)"
    cargo +nightly fuzz run "$target" -- -max_total_time="$secs"
done
