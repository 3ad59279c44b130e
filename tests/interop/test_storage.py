"""tessera-storage's files read by independent readers: Zarr v3 arrays with zarr-python 3,
Parquet partitions with pyarrow, compared with what was written.

The files come from `storage/examples/write_fixtures.rs`, built and run here with cargo into a
temporary directory (or taken from $TESSERA_STORAGE_OUT when set). Its manifest.json lists each
array with its numpy dtype, shape, Zarr chunk shape and a file of the expected raw C-order
bytes (unwritten blocks are zeros there), and each table's partitions with their expected
columns.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

zarr = pytest.importorskip("zarr")
pq = pytest.importorskip("pyarrow.parquet")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def fixtures(tmp_path_factory) -> Path:
    if os.environ.get("TESSERA_STORAGE_OUT"):
        return Path(os.environ["TESSERA_STORAGE_OUT"])
    out = tmp_path_factory.mktemp("storage")
    # Dev profile, as scripts/interop.sh builds everything else (nothing to recompile after
    # scripts/test.sh); the fixtures are small.
    cmd = ["cargo", "run", "-q", "-p", "tessera-storage", "--example", "write_fixtures", "--", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True)
    return out


@pytest.fixture(scope="session")
def manifest(fixtures: Path) -> dict:
    return json.loads((fixtures / "manifest.json").read_text())


def test_manifest_lists_every_kind(manifest):
    locations = {a["location"] for a in manifest["arrays"]}
    assert {"stacked_result", "blocks", "scalar", "noise", "ramp"} <= locations
    assert len([loc for loc in locations if loc.startswith("zoo/")]) >= 20


def test_zarr_python_reads_every_array(fixtures, manifest):
    for a in manifest["arrays"]:
        path = fixtures / "data" / a["location"]
        z = zarr.open_array(str(path), mode="r")
        want_dtype = np.dtype(a["dtype"])
        expected = np.frombuffer((fixtures / a["expected"]).read_bytes(), dtype=want_dtype).reshape(a["shape"])
        assert z.metadata.zarr_format == 3, a["location"]
        assert z.dtype == want_dtype, (a["location"], z.dtype, want_dtype)
        assert z.shape == tuple(a["shape"]), a["location"]
        assert z.chunks == tuple(a["chunk_shape"]), a["location"]
        got = z[...]
        assert got.dtype == want_dtype, a["location"]
        # Bytes first (NaN payloads, NaT), then numpy's own equality where it is meaningful.
        assert np.ascontiguousarray(got).tobytes() == expected.tobytes(), a["location"]
        if want_dtype.kind in "biuUc" or (want_dtype.kind == "f" and not np.isnan(expected).any()):
            np.testing.assert_array_equal(got, expected)
        if a["dims"] is not None:
            assert tuple(z.metadata.dimension_names) == tuple(a["dims"])


def test_codecs_are_bytes_little_endian_then_zstd(fixtures, manifest):
    for a in manifest["arrays"]:
        meta = json.loads((fixtures / "data" / a["location"] / "zarr.json").read_text())
        names = [c["name"] for c in meta["codecs"]]
        assert names == ["bytes", "zstd"], (a["location"], names)
        if np.dtype(a["dtype"]).itemsize > 1 and np.dtype(a["dtype"]).kind != "U":
            assert meta["codecs"][0]["configuration"]["endian"] == "little"


def test_unwritten_blocks_are_zeros_and_absent(fixtures):
    z = zarr.open_array(str(fixtures / "data" / "stacked_result"), mode="r")
    got = z[...]
    assert (got[1] == 0).all() and (got[3:] == 0).all()
    assert got[2, 0, 0] == 2000.0 and got[0, 31, 31] == 1023.0
    chunks = sorted(str(p.relative_to(fixtures / "data" / "stacked_result"))
                    for p in (fixtures / "data" / "stacked_result" / "c").rglob("*") if p.is_file())
    assert chunks == ["c/0/0/0", "c/2/0/0"]
    blocks = zarr.open_array(str(fixtures / "data" / "blocks"), mode="r")
    assert (blocks[3:6, 8:10] == 0).all()
    assert blocks[6, 9] == 69 * 7 - 100


def test_no_temporary_files_left(fixtures):
    assert not [p for p in (fixtures / "data").rglob(".tmp-*")]


def test_pyarrow_reads_every_partition(fixtures, manifest):
    for t in manifest["tables"]:
        for part in t["partitions"]:
            table = pq.read_table(fixtures / "data" / t["location"] / part["file"])
            assert table.column_names == list(part["columns"]), table.column_names
            for name, values in part["columns"].items():
                assert table.column(name).to_pylist() == values, name
            assert str(table.schema.field("x").type) == "int64"
            assert str(table.schema.field("name").type) in ("string", "large_string")
