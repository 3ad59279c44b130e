#!/usr/bin/env bash
# Prints a directory to put first on PATH so the build finds the tools it needs beyond the
# Rust toolchain. Today: CMake >= 3.26, which `--all-features` needs (tessera-netcdf's `static`
# builds libhdf5 and libnetcdf from source; Debian 12 ships CMake 3.25). When the system CMake
# is too old or missing, a pinned CMake from PyPI is installed once into
# ${TESSERA_CACHE:-$HOME/.cache/tessera}/venv-tools.
#
#   export PATH="$(bash scripts/build-tools.sh):$PATH"
set -euo pipefail

CMAKE_PIN="3.31.10"
venv="${TESSERA_CACHE:-$HOME/.cache/tessera}/venv-tools"

cmake_ok() {  # cmake_ok BINARY: true when it runs and is at least 3.26
    local v
    v="$("$1" --version 2>/dev/null | sed -n 's/^cmake version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')" || return 1
    [[ -n "$v" ]] && read -r major minor <<<"$v" && ((major > 3 || (major == 3 && minor >= 26)))
}

if command -v cmake >/dev/null && cmake_ok cmake; then
    echo "$venv/bin"   # harmless when absent: the system cmake is used
    exit 0
fi
if ! cmake_ok "$venv/bin/cmake"; then
    echo "build-tools: installing cmake==$CMAKE_PIN into $venv" >&2
    [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "cmake==$CMAKE_PIN" >&2
fi
echo "$venv/bin"
