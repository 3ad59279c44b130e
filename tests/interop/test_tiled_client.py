"""The official Tiled Python client (tiled[client]==0.2.20) against a real `tessera serve demo`.

The server binary is $TESSERA_BIN, else $CARGO_TARGET_DIR/{release,debug}/tessera, else
target/{release,debug}/tessera (build it with `cargo build -p tessera-server --bin tessera`).
It is started with `--port 0` and a random API key, and the URL it prints (with `?api_key=`)
is what the client connects to, as a user would.

Expected data is recomputed here with numpy from the demo's documented generator
(server/src/demo.rs: SplitMix64 of `seed << 40 | index`), so `.read()` is checked against an
independent computation, not against another answer of the same server. Exported files are
read back with independent readers (pandas, openpyxl, pyarrow, Pillow, tifffile, numpy).
"""
from __future__ import annotations

import io
import json
import os
import re
import secrets
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# Fail fast instead of retrying a 5xx for 45 s (tiled-protocol.md §0.5).
os.environ.setdefault("TILED_RETRY_ATTEMPTS", "1")

from tiled.client import from_uri  # noqa: E402
from tiled.queries import Key  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------------------ generator

def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def hashes(seed: int, n: int, start: int = 0) -> np.ndarray:
    idx = np.arange(start, start + n, dtype=np.uint64) | (np.uint64(seed) << np.uint64(40))
    return _splitmix(idx)


def uniform(seed: int, n: int, start: int = 0) -> np.ndarray:
    return (hashes(seed, n, start) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def test_generator_matches_the_pinned_value():
    # server/src/demo.rs pins hash(0, 0).
    assert int(_splitmix(np.array([0], dtype=np.uint64))[0]) == 0xE220A8397B1DCDAF


def expected_arrays() -> dict[str, np.ndarray]:
    u = uniform(7, 3000)
    return {
        "tiny_image": uniform(1, 2500).reshape(50, 50),
        "small_image": uniform(2, 90_000).reshape(300, 300),
        "medium_image": uniform(3, 1_000_000).reshape(1000, 1000),
        "tiny_cube": uniform(5, 125_000).reshape(50, 50, 50),
        "complex": (u[0::2] + 1j * u[1::2]).reshape(30, 50),
        "high_entropy": ((hashes(8, 10_000) % np.uint64(20)).astype(np.int64) - 10).reshape(100, 100),
        "low_entropy": np.ones((100, 100), dtype=np.int32),
        "flat_array": uniform(9, 100),
    }


def expected_short_table() -> pd.DataFrame:
    h = hashes(23, 100)
    letters = ["".join(chr(ord("A") + int((int(x) >> (5 * k)) % 26)) for k in range(3)) for x in h]
    return pd.DataFrame({
        "A": (hashes(21, 100) % np.uint64(256)).astype(np.uint8),
        "B": uniform(22, 100),
        "C": letters,
        "D": pd.date_range("2025-01-01", periods=100, freq="D").astype("datetime64[s]"),
        "E": (hashes(25, 100) & np.uint64(1)) == 1,
    })


def expected_long_table() -> pd.DataFrame:
    a = uniform(30, 100_000)
    return pd.DataFrame({"A": a, "B": 2 * a, "C": 3 * a})


def expected_wide_table() -> pd.DataFrame:
    return pd.DataFrame({chr(ord("A") + k): np.arange(10) * float(k + 1) for k in range(26)})


def expected_dataset():
    import xarray as xr
    t = 30.0 * uniform(50, 12).reshape(2, 2, 3)
    p = 10.0 * uniform(51, 12).reshape(2, 2, 3)
    return xr.Dataset(
        {"temperature": (["x", "y", "time"], t, {}), "precipitation": (["x", "y", "time"], p, {})},
        coords={
            "lon": (["x", "y"], np.array([[-99.83, -99.32], [-99.79, -99.23]])),
            "lat": (["x", "y"], np.array([[42.25, 42.21], [42.63, 42.59]])),
            "time": pd.date_range("2014-09-06", periods=3).values.astype("datetime64[ns]"),
        },
    )


def assert_frame_values(got: pd.DataFrame, want: pd.DataFrame):
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for c in want.columns:
        g, w = got[c], want[c]
        if pd.api.types.is_datetime64_any_dtype(w):
            assert (pd.to_datetime(g).astype("datetime64[ns]").values == w.astype("datetime64[ns]").values).all(), c
        elif pd.api.types.is_float_dtype(w):
            np.testing.assert_array_equal(g.to_numpy(dtype=float), w.to_numpy(), err_msg=c)
        else:
            assert [str(x) for x in g.tolist()] == [str(x) for x in w.tolist()], c


# -------------------------------------------------------------------------------- server

def _binary() -> Path:
    if os.environ.get("TESSERA_BIN"):
        return Path(os.environ["TESSERA_BIN"])
    targets = [Path(os.environ["CARGO_TARGET_DIR"])] if os.environ.get("CARGO_TARGET_DIR") else []
    targets.append(ROOT / "target")
    for t in targets:
        for profile in ("release", "debug"):
            if (t / profile / "tessera").exists():
                return t / profile / "tessera"
    pytest.skip("no tessera binary: set TESSERA_BIN or run `cargo build -p tessera-server --bin tessera`")


@pytest.fixture(scope="module")
def server():
    key = secrets.token_hex(8)
    proc = subprocess.Popen(
        [str(_binary()), "serve", "demo", "--host", "127.0.0.1", "--port", "0", "--api-key", key],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    url = None
    deadline = time.monotonic() + 60
    lines = []
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        m = re.search(r"(http://127\.0\.0\.1:\d+\?api_key=\w+)", line)
        if m:
            url = m.group(1)
            break
    if url is None:
        proc.kill()
        pytest.fail("tessera did not print its URL:\n" + "".join(lines))
    # Keep draining the log so the server never blocks on a full pipe.
    import threading
    threading.Thread(target=lambda: [None for _ in proc.stderr], daemon=True).start()
    yield url, key
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=20) == 0, "graceful shutdown exits 0"
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def client(server):
    url, _ = server
    return from_uri(url)


# --------------------------------------------------------------------------------- tests

def test_from_uri_and_listing(client, server):
    assert client.context.server_info.library_version == "0.2.20"
    keys = list(client)
    for k in ["short_table", "long_table", "wide_table", "tiny_image", "small_image", "medium_image",
              "big_image", "tiny_cube", "tiny_hypercube", "scalars", "structured_data",
              "low_entropy", "high_entropy", "complex"]:
        assert k in keys
    assert len(client) == len(keys)
    # Without the key the server refuses, and the client says so.
    url, _ = server
    with pytest.raises(Exception):
        list(from_uri(url.split("?")[0]))


def test_read_every_array_equals_the_generator(client):
    for name, want in expected_arrays().items():
        got = client[name].read()
        assert got.dtype == want.dtype, name
        np.testing.assert_array_equal(got, want, err_msg=name)
    # Slices, blocks and the lazily generated big arrays.
    med = expected_arrays()["medium_image"]
    np.testing.assert_array_equal(client["medium_image"][0:10, ::2], med[0:10, ::2])
    np.testing.assert_array_equal(client["medium_image"][5, 10:20], med[5, 10:20])
    np.testing.assert_array_equal(client["medium_image"].read_block((1, 2)), med[250:500, 200:300])
    big = client["big_image"]
    assert big.shape == (10_000, 10_000)
    corner = big[:10, -10:]
    cols = np.arange(9990, 10_000)
    want = np.stack([uniform(4, 10, start=i * 10_000 + 9990) for i in range(10)])
    np.testing.assert_array_equal(corner, want)
    assert cols.size == 10
    hyper = client["tiny_hypercube"]
    assert hyper.shape == (50,) * 5
    np.testing.assert_array_equal(hyper[0, 0, 0], uniform(6, 2500).reshape(50, 50))


def test_scalars_and_structured(client):
    s = client["scalars"]
    assert s["pi"].read() == np.pi
    assert s["fortytwo"].read() == 42
    assert str(s["fsc"].read()) == "1/137"
    assert s["e_arr"].read().tolist() == ["2.71828"]
    pets = client["structured_data"]["pets"].read()
    assert pets.dtype.names == ("name", "age", "weight")
    assert pets.tolist() == [("Rex", 9, 81.0), ("Fido", 3, 27.0)]


def test_read_tables(client):
    assert_frame_values(client["short_table"].read(), expected_short_table())
    assert_frame_values(client["long_table"].read(), expected_long_table())
    assert_frame_values(client["wide_table"].read(), expected_wide_table())
    assert_frame_values(client["short_table"].read(columns=["B", "A"]), expected_short_table()[["B", "A"]])
    np.testing.assert_array_equal(client["short_table"]["A"].read(), expected_short_table()["A"].to_numpy())
    assert client["huge_table"].structure().npartitions == 100
    assert client["short_table"].metadata["color"] == "red"


def test_read_xarray_dataset(client):
    ds = client["structured_data"]["xarray_dataset"].read()
    want = expected_dataset()
    for v in ["temperature", "precipitation", "lon", "lat", "time"]:
        np.testing.assert_array_equal(ds[v].values, want[v].values, err_msg=v)
        assert ds[v].dims == want[v].dims


def test_search_with_key(client):
    found = client.search(Key("color") == "green")
    assert sorted(found) == sorted(["long_table", "tiny_image", "small_image", "medium_image",
                                    "big_image", "structured_data"])
    assert found.values().first().metadata["color"] == "green"
    assert list(client.search(Key("color") == "red")) == ["short_table", "wide_table", "tiny_cube",
                                                          "tiny_hypercube"]


def test_formats(client):
    fm = client["medium_image"].formats
    assert "application/octet-stream" in fm
    tf = client["short_table"].formats
    assert "application/vnd.apache.arrow.file" in tf
    info = client.context.server_info.formats
    assert set(fm) == set(info["array"])


def test_export_short_table(client, tmp_path):
    st = client["short_table"]
    want = expected_short_table()
    st.export(tmp_path / "table.xlsx")
    got = pd.read_excel(tmp_path / "table.xlsx", engine="openpyxl")
    np.testing.assert_array_equal(got["A"].to_numpy(), want["A"].to_numpy())
    np.testing.assert_allclose(got["B"].to_numpy(), want["B"].to_numpy(), rtol=0, atol=0)
    assert got["C"].tolist() == want["C"].tolist()
    st.export(tmp_path / "table.csv")
    got = pd.read_csv(tmp_path / "table.csv")
    np.testing.assert_array_equal(got["B"].to_numpy(), want["B"].to_numpy())
    assert got["C"].tolist() == want["C"].tolist()
    # columns=, a BytesIO, a media type, an open file.
    buf = io.BytesIO()
    st.export(buf, columns=["A", "B"], format="csv")
    got = pd.read_csv(io.BytesIO(buf.getvalue()))
    assert list(got.columns) == ["A", "B"]
    np.testing.assert_array_equal(got["A"].to_numpy(), want["A"].to_numpy())
    buf = io.BytesIO()
    st.export(buf, format="text/csv")
    assert buf.getvalue().decode().splitlines()[0] == "A,B,C,D,E"
    with open(tmp_path / "open.csv", "wb") as f:
        st.export(f, format="csv")
    assert len(pd.read_csv(tmp_path / "open.csv")) == 100


def test_export_medium_image(client, tmp_path):
    med = expected_arrays()["medium_image"]
    mi = client["medium_image"]
    mi.export(tmp_path / "numbers.csv", slice=np.s_[:10, 100:200])
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "numbers.csv", delimiter=","), med[:10, 100:200])
    mi.export(tmp_path / "image.png")
    from PIL import Image
    with Image.open(tmp_path / "image.png") as im:
        assert im.size == (1000, 1000)
        assert im.mode == "L"
    import tifffile
    mi.export(tmp_path / "image.tiff")
    np.testing.assert_array_equal(tifffile.imread(tmp_path / "image.tiff"), med)
    buf = io.BytesIO()
    mi.export(buf, format="csv", slice=np.s_[:2])
    np.testing.assert_array_equal(np.loadtxt(io.BytesIO(buf.getvalue()), delimiter=","), med[:2])


CSV_TYPES = {"text/csv", "text/x-comma-separated-values", "text/comma-separated-values", "text/plain",
             "application/vnd.ms-excel"}


def _check_dataset_export(media_type: str, body: bytes, want: pd.DataFrame):
    if media_type == "application/vnd.apache.arrow.file":
        import pyarrow as pa
        got = pa.ipc.open_file(io.BytesIO(body)).read_pandas()
    elif media_type == "application/vnd.apache.arrow.stream":
        import pyarrow as pa
        got = pa.ipc.open_stream(io.BytesIO(body)).read_pandas()
    elif media_type == "application/x-parquet":
        got = pd.read_parquet(io.BytesIO(body))
    elif media_type in CSV_TYPES:
        got = pd.read_csv(io.BytesIO(body))
    elif media_type.endswith("spreadsheetml.sheet"):
        got = pd.read_excel(io.BytesIO(body), engine="openpyxl")
    elif media_type == "application/json":
        got = pd.DataFrame(json.loads(body))
    elif media_type == "text/html":
        assert b"<table" in body and b"temperature" in body
        return
    elif media_type in ("application/x-netcdf", "application/netcdf"):
        assert body[:3] == b"CDF", "a NetCDF-3 file"
        try:
            import scipy  # noqa: F401  (xarray reads NetCDF-3 from memory with scipy)
        except ImportError:
            return
        import xarray as xr
        ds = xr.open_dataset(io.BytesIO(body))
        np.testing.assert_array_equal(ds["temperature"].values, expected_dataset()["temperature"].values)
        return
    else:
        assert body, media_type
        return
    for col in ["temperature", "precipitation"]:
        np.testing.assert_array_equal(got[col].to_numpy(dtype=float), want[col].to_numpy(), err_msg=media_type)


def test_export_dataset_in_every_format(client):
    node = client["structured_data"]["xarray_dataset"]
    want = expected_dataset().to_dataframe().reset_index()
    media_types = client.context.server_info.formats.get("xarray_dataset", [])
    assert media_types, "some dataset format is compiled in"
    for mt in media_types:
        buf = io.BytesIO()
        node.export(buf, format=mt)
        _check_dataset_export(mt, buf.getvalue(), want)


def test_client_mistakes_are_4xx(client):
    from tiled.client.utils import ClientError
    with pytest.raises(KeyError):
        client["nope"]
    with pytest.raises(ClientError) as e:
        client["tiny_cube"].export(io.BytesIO(), format="csv")
    assert e.value.response.status_code == 406
    with pytest.raises(ClientError) as e:
        client["medium_image"].export(io.BytesIO(), format="xlsx")
    assert e.value.response.status_code == 406
