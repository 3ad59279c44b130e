#!/usr/bin/env bash
# Creates (or reuses) the Python venv of the interop suite and prints its path.
#
#   venv=$(bash scripts/interop-venv.sh)
#
# The venv lives outside the clone, at ${TESSERA_CACHE:-$HOME/.cache/tessera}/venv-interop, and
# is installed from tests/interop/requirements.txt (every package pinned). A stamp holding the
# requirements file's hash makes later runs skip pip entirely while the file is unchanged; when
# it changes, pip brings the same venv to the new pins.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
req="$root/tests/interop/requirements.txt"
venv="${TESSERA_CACHE:-$HOME/.cache/tessera}/venv-interop"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$req" | cut -d' ' -f1)"

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "$venv"
    exit 0
fi

# Progress goes to stderr: stdout carries only the path.
echo "interop-venv: installing $req into $venv" >&2
mkdir -p "$(dirname "$venv")"
[[ -x "$venv/bin/python" ]] || python3 -m venv "$venv" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
"$venv/bin/python" -m pip check >&2
echo "$want" > "$stamp"
echo "$venv"
