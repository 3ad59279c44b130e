"""Shared fixtures of the interop suite.

`scripts/interop.sh` runs `dump_outputs` (benches/examples/dump_outputs.rs) into a directory and
passes it as TESSERA_INTEROP_OUT. Its manifest.json says which encoders are compiled in, and
where each output (or each encoder error) is. A test of a format that is not compiled in is
skipped, saying so; a compiled-in encoder that failed on an input it must take fails the test.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest


class Outputs:
    """The dumper's outputs, looked up by family, format name and input name."""

    def __init__(self, root: Path):
        self.root = root
        self.manifest = json.loads((root / "manifest.json").read_text())

    def registered(self, family: str, names: tuple[str, ...]) -> dict | None:
        """The registered encoder of `family` whose media type or an alias is in `names`."""
        wanted = {n.lower() for n in names}
        for r in self.manifest["registered"]:
            if r["family"] == family and ({r["media_type"].lower()} | {a.lower() for a in r["aliases"]}) & wanted:
                return r
        return None

    def path(self, family: str, names: tuple[str, ...] | str, input_name: str, *,
             may_refuse: bool = False) -> Path:
        """Path of the output of the format named by `names` for `input_name`.

        Skips when the format is not compiled in; fails when the encoder errored, unless
        `may_refuse` and the error is a refusal (`unsupported`), which skips.
        """
        names = (names,) if isinstance(names, str) else names
        reg = self.registered(family, names)
        if reg is None:
            pytest.skip(f"{'/'.join(names)} is not compiled in (no registered {family} encoder, "
                        f"so dump_outputs wrote no such file)")
        for o in self.manifest["outputs"]:
            if o["family"] == family and o["media_type"] == reg["media_type"] and o["input"] == input_name:
                if "file" in o:
                    return self.root / o["file"]
                err = o["error"]
                if may_refuse and err["kind"] == "unsupported":
                    pytest.skip(f"{reg['media_type']} refuses {input_name}: {err['message']}")
                pytest.fail(f"{reg['media_type']} failed on {input_name} ({err['kind']}): {err['message']}")
        pytest.fail(f"{reg['media_type']} is registered but dump_outputs recorded nothing for {input_name}")


@pytest.fixture(scope="session")
def outputs() -> Outputs:
    out = os.environ.get("TESSERA_INTEROP_OUT")
    if not out:
        pytest.fail("TESSERA_INTEROP_OUT is not set: run the suite with scripts/interop.sh")
    return Outputs(Path(out))
