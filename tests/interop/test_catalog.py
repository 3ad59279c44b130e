"""The official Tiled client (tiled[client]==0.2.20) writing to a real `tessera serve catalog`
process, on SQLite and on PostgreSQL (issue 6, "Verified by").

Each test starts the `tessera` binary (found as in test_tiled_client.py) with `--port 0` and
reads the URL it prints. The PostgreSQL half runs a throwaway cluster (test_iceberg.py's
`postgres` fixture: initdb/pg_ctl on 127.0.0.1); without PostgreSQL binaries it is skipped.
Stored data is read back with independent readers: zarr-python opens every stored array,
pyarrow every stored Parquet partition.

Fault tests drive raw HTTP over sockets: a server killed (SIGKILL) in the middle of an upload,
a truncated body, a block of the wrong shape, a duplicate key, a bad key. After each the
server is restarted on the same catalog and data directory and every node must read back
whole (old state or new state, never half).
"""
from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

os.environ.setdefault("TILED_RETRY_ATTEMPTS", "1")

try:
    from test_iceberg import postgres  # noqa: E402,F401  (a throwaway PostgreSQL cluster)
except BaseException:  # pytest's Skipped: test_iceberg.py needs pyiceberg
    @pytest.fixture(scope="session")
    def postgres():
        pytest.skip("the PostgreSQL fixture of test_iceberg.py needs pyiceberg (tests/interop/requirements.txt)")
from test_tiled_client import _binary  # noqa: E402
from tiled.client import from_uri  # noqa: E402
from tiled.client.utils import ClientError  # noqa: E402
from tiled.queries import Key  # noqa: E402
from tiled.structures.array import ArrayStructure, BuiltinDtype  # noqa: E402
from tiled.structures.data_source import DataSource  # noqa: E402

URL_RE = re.compile(r"(http://127\.0\.0\.1:(\d+)\?api_key=(\w+))")


class Server:
    """A running `tessera` process and the URL it printed."""

    def __init__(self, args: list[str], cwd: Path, env: dict | None = None):
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [str(_binary()), *args, "--host", "127.0.0.1", "--port", "0"],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})},
        )
        deadline = time.monotonic() + 60
        self.url = None
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.lines.append(line)
            m = URL_RE.search(line)
            if m:
                self.url, self.port, self.key = m.group(1), int(m.group(2)), m.group(3)
                break
        if self.url is None:
            self.proc.kill()
            pytest.fail("tessera did not print its URL:\n" + "".join(self.lines))
        threading.Thread(target=lambda: self.lines.extend(self.proc.stderr), daemon=True).start()
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            assert self.proc.wait(timeout=20) == 0, "graceful shutdown exits 0"
        finally:
            if self.proc.poll() is None:
                self.proc.kill()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=20)

    def auth(self) -> dict:
        return {"Authorization": f"Apikey {self.key}"}


def run_tessera(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(_binary()), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def catalog(request, tmp_path) -> str:
    """A fresh, initialized catalog: a SQLite file or a PostgreSQL database URL."""
    if request.param == "sqlite":
        db = "catalog.db"
    else:
        pg = request.getfixturevalue("postgres")
        db = pg.new_database().replace("postgresql+psycopg2://", "postgresql://")
    p = run_tessera("catalog", "init", db, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "Database initialized." in p.stderr
    again = run_tessera("catalog", "init", db, cwd=tmp_path)
    assert again.returncode == 1 and "already initialized" in again.stderr
    return db


def serve(db: str, tmp_path: Path, *extra: str) -> Server:
    key = secrets.token_hex(16)
    return Server(["serve", "catalog", db, "--write", "data", "--api-key", key, *extra], cwd=tmp_path)


STACKED_BLOCKS = {(0, 0, 0): 1.0, (2, 0, 0): 3.0}


def stacked_expected() -> np.ndarray:
    want = np.zeros((5, 32, 32))
    for (i, _, _), v in STACKED_BLOCKS.items():
        want[i] = v + np.arange(32 * 32).reshape(32, 32)
    return want


def check_written(client) -> None:
    """Everything test_write_search_restart wrote is there and searchable."""
    found = client.search(Key("color") == "red")
    assert len(found) == 1
    np.testing.assert_array_equal(found.values().first().read(), [1, 2, 3])
    np.testing.assert_array_equal(client.search(Key("barcode") == 11).values().first().read(), [4, 5, 6])
    df = client.search(Key("color") == "green").values().first().read()
    pd.testing.assert_frame_equal(df, pd.DataFrame({"x": [1, 2, 3], "y": [4, 5, 6]}))
    np.testing.assert_array_equal(client["stacked_result"].read(), stacked_expected())
    assert len(client) == 4


def test_write_search_restart(catalog, tmp_path):
    server = serve(catalog, tmp_path)
    try:
        client = from_uri(server.url)
        client.write_array([1, 2, 3], metadata={"color": "red", "barcode": 10})
        client.write_array(np.array([4, 5, 6]), metadata={"color": "blue", "barcode": 11})
        df = pd.DataFrame({"x": [1, 2, 3], "y": [4, 5, 6]})
        client.write_dataframe(df, metadata={"color": "green", "barcode": 12})
        pd.testing.assert_frame_equal(client.search(Key("color") == "green").values().first().read(), df)
        structure = ArrayStructure(
            data_type=BuiltinDtype.from_numpy_dtype(np.dtype("float64")),
            shape=(5, 32, 32),
            chunks=((1, 1, 1, 1, 1), (32,), (32,)),
        )
        x = client.new(
            structure_family="array",
            data_sources=[DataSource(structure=structure, structure_family="array")],
            key="stacked_result",
            metadata={"color": "yellow", "barcode": 13},
        )
        for block, v in STACKED_BLOCKS.items():
            x.write_block(v + np.arange(32 * 32, dtype="float64").reshape(1, 32, 32), block=block)
        np.testing.assert_array_equal(x.read(), stacked_expected())
        check_written(client)
        # An existing key is a 409 naming it; the catalog is unchanged.
        r = httpx.post(f"{server.base}/api/v1/metadata/", headers=server.auth(),
                       json={"id": "stacked_result", "structure_family": "container", "data_sources": []})
        assert r.status_code == 409 and r.json() == {"detail": "/stacked_result"}
    finally:
        server.stop()
    # Stop, start again on the same catalog and data directory: all still there.
    server = serve(catalog, tmp_path)
    try:
        check_written(from_uri(server.url))
    finally:
        server.stop()
    # Independent readers of the stored data.
    import zarr
    arrays = [np.asarray(zarr.open_array(str(p.parent), mode="r")[...])
              for p in (tmp_path / "data").rglob("zarr.json")]
    assert sorted(a.shape for a in arrays) == [(3,), (3,), (5, 32, 32)]
    assert any(np.array_equal(a, [1, 2, 3]) for a in arrays)
    assert any(np.array_equal(a, [4, 5, 6]) for a in arrays)
    assert any(a.shape == (5, 32, 32) and np.array_equal(a, stacked_expected()) for a in arrays)
    parts = list((tmp_path / "data").rglob("partition-0.parquet"))
    assert len(parts) == 1
    pd.testing.assert_frame_equal(pq.read_table(parts[0]).to_pandas(), pd.DataFrame({"x": [1, 2, 3], "y": [4, 5, 6]}))


def test_containers_datasets_and_delete(catalog, tmp_path):
    server = serve(catalog, tmp_path)
    try:
        client = from_uri(server.url)
        group = client.create_container("group", metadata={"kind": "g"})
        group.write_array(np.arange(6).reshape(2, 3), key="inner", metadata={"n": 1})
        np.testing.assert_array_equal(client["group"]["inner"].read(), np.arange(6).reshape(2, 3))
        np.testing.assert_array_equal(client["group/inner"].read(), np.arange(6).reshape(2, 3))
        # A non-empty container needs recursive, internal data needs external_only=False.
        with pytest.raises(ClientError, match="not empty"):
            client.delete_contents("group", recursive=False, external_only=False)
        with pytest.raises(ClientError, match="internally managed"):
            client.delete_contents("group", recursive=True, external_only=True)
        client.delete_contents("group", recursive=True, external_only=False)
        assert "group" not in client
        assert not [p for p in (tmp_path / "data").iterdir() if not p.name.startswith(".")]
        # An xarray dataset: a container with spec xarray_dataset and variables.
        xr = pytest.importorskip("xarray")
        from tiled.client.xarray import write_xarray_dataset
        ds = xr.Dataset({"temp": (("t",), np.array([1.5, 2.5, 3.5]))}, coords={"t": [10, 20, 30]},
                        attrs={"site": "x"})
        write_xarray_dataset(client, ds, key="ds")
        got = client["ds"].read()
        np.testing.assert_array_equal(got["temp"].values, ds["temp"].values)
        np.testing.assert_array_equal(got["t"].values, ds["t"].values)
    finally:
        server.stop()


def test_update_metadata_and_data_sources(catalog, tmp_path):
    """The client's metadata editing (JSON Patch and merge patch) and its data_sources()."""
    from tiled.client.metadata_update import DELETE_KEY

    server = serve(catalog, tmp_path, "--table-cache-bytes", "0")  # tables read from disk every time
    try:
        client = from_uri(server.url)
        x = client.write_array(np.arange(4), key="x", metadata={"color": "red", "nested": {"a": 1}, "gone": 1})
        x.update_metadata({"color": "blue", "nested": {"b": 2}, "gone": DELETE_KEY}, specs=["mine"])
        want = {"color": "blue", "nested": {"a": 1, "b": 2}}
        assert dict(x.metadata) == want
        fresh = from_uri(server.url)["x"]  # what the server stored, not the client's copy
        assert dict(fresh.metadata) == want
        assert [s.name for s in fresh.specs] == ["mine"]
        assert len(client.search(Key("color") == "blue")) == 1
        assert len(client.search(Key("color") == "red")) == 0
        x.replace_metadata({"only": True})
        assert dict(from_uri(server.url)["x"].metadata) == {"only": True}
        x.patch_metadata(metadata_patch={"extra": [1, 2]}, content_type="application/merge-patch+json")
        assert dict(from_uri(server.url)["x"].metadata) == {"only": True, "extra": [1, 2]}
        # A patch that does not apply is refused and changes nothing.
        with pytest.raises(ClientError, match="422"):
            x.patch_metadata(metadata_patch=[{"op": "remove", "path": "/missing"}])
        assert dict(from_uri(server.url)["x"].metadata) == {"only": True, "extra": [1, 2]}
        # Where the data lives: a Zarr directory for the array, Parquet for a table.
        (ds,) = fresh.data_sources()
        assert ds.mimetype == "application/x-zarr" and ds.structure_family == "array"
        (asset,) = ds.assets
        assert asset.data_uri.startswith("file://") and asset.is_directory
        import zarr
        from urllib.parse import unquote, urlparse
        stored = zarr.open_array(unquote(urlparse(asset.data_uri).path), mode="r")
        np.testing.assert_array_equal(stored[...], np.arange(4))
        t = client.write_dataframe(pd.DataFrame({"a": [1, 2]}), key="t")
        (tds,) = t.data_sources()
        assert tds.mimetype == "application/x-parquet" and tds.structure_family == "table"
        for _ in range(2):
            pd.testing.assert_frame_equal(from_uri(server.url)["t"].read(), pd.DataFrame({"a": [1, 2]}))
    finally:
        server.stop()


def test_temp_prints_a_working_key(tmp_path):
    server = Server(["serve", "catalog", "--temp"], cwd=tmp_path)
    temp = next(re.search(r"temporary storage in (\S+)", line).group(1)
                for line in server.lines if "temporary storage in" in line)
    try:
        assert Path(temp, "catalog.db").exists()
        client = from_uri(server.url)
        client.write_array([7, 8], key="a", metadata={"color": "red"})
        np.testing.assert_array_equal(client["a"].read(), [7, 8])
        r = httpx.get(f"{server.base}/api/v1/metadata/a")
        assert r.status_code == 401 and "WWW-Authenticate" in r.headers
        r = httpx.get(f"{server.base}/api/v1/metadata/a", headers={"Authorization": "Apikey nope"})
        assert r.status_code == 401 and r.json()["detail"] == "Invalid API key"
    finally:
        server.stop()
    assert not Path(temp).exists(), "the temporary catalog is removed on exit"


def test_read_only_without_write_and_public_reads(catalog, tmp_path):
    server = serve(catalog, tmp_path)
    try:
        from_uri(server.url).write_array([1, 2], key="a")
    finally:
        server.stop()
    ro = Server(["serve", "catalog", catalog, "--public"], cwd=tmp_path, env={"TESSERA_API_KEY": "envkey"})
    try:
        assert ro.key == "envkey"
        assert any("read-only" in line for line in ro.lines)
        r = httpx.get(f"{ro.base}/api/v1/array/full/a")  # --public: anonymous reads
        assert r.status_code == 200 and np.frombuffer(r.content, "<i8").tolist() == [1, 2]
        r = httpx.post(f"{ro.base}/api/v1/metadata/", json={"id": "b", "structure_family": "container"})
        assert r.status_code == 401  # writes always need the key
        r = httpx.post(f"{ro.base}/api/v1/metadata/", headers=ro.auth(),
                       json={"id": "b", "structure_family": "container"})
        assert r.status_code == 405
        r = httpx.put(f"{ro.base}/api/v1/array/full/a", headers=ro.auth(), content=b"\0" * 16)
        assert r.status_code == 405
    finally:
        ro.stop()


# ------------------------------------------------------------------------------------- faults

def raw_put_start(server: Server, path: str, total: int, first: bytes) -> socket.socket:
    """Starts a PUT of `total` bytes and sends only `first`."""
    s = socket.create_connection(("127.0.0.1", server.port))
    head = (f"PUT {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nAuthorization: Apikey {server.key}\r\n"
            f"Content-Type: application/octet-stream\r\nContent-Length: {total}\r\n\r\n")
    s.sendall(head.encode() + first)
    return s


def test_faults_leave_the_catalog_consistent(catalog, tmp_path):
    server = serve(catalog, tmp_path)
    n = 1 << 20  # 8 MiB of float64
    try:
        client = from_uri(server.url)
        client.write_array(np.ones(n), key="big", metadata={"v": 1})
        structure = ArrayStructure(data_type=BuiltinDtype.from_numpy_dtype(np.dtype("<i4")),
                                   shape=(4, 4), chunks=((2, 2), (4,)))
        client.new(structure_family="array", key="blocks",
                   data_sources=[DataSource(structure=structure, structure_family="array")])
        # A wrong-shape block: 4xx, nothing written.
        r = httpx.put(f"{server.base}/api/v1/array/block/blocks?block=0,0", headers=server.auth(),
                      content=np.arange(4, dtype="<i4").tobytes())
        assert 400 <= r.status_code < 500, r.text
        r = httpx.put(f"{server.base}/api/v1/array/block/blocks?block=5,0", headers=server.auth(),
                      content=np.arange(8, dtype="<i4").tobytes())
        assert r.status_code == 422, r.text
        # A bad key: 401, nothing written.
        r = httpx.put(f"{server.base}/api/v1/array/full/big", headers={"Authorization": "Apikey wrong"},
                      content=np.zeros(n).tobytes())
        assert r.status_code == 401
        # A truncated body: the client goes away after half of it.
        s = raw_put_start(server, "/api/v1/array/full/big", n * 8, np.full(n // 2, 2.0).tobytes())
        s.close()
        time.sleep(0.5)
        np.testing.assert_array_equal(client["big"].read(), np.ones(n))
        np.testing.assert_array_equal(client["blocks"].read(), np.zeros((4, 4), "<i4"))
        # Killed in the middle of an upload.
        s = raw_put_start(server, "/api/v1/array/full/big", n * 8, np.full(n // 2, 3.0).tobytes())
        time.sleep(0.3)
        server.kill()
        s.close()
    finally:
        if server.proc.poll() is None:
            server.stop()
    server = serve(catalog, tmp_path)
    try:
        client = from_uri(server.url)
        assert sorted(client) == ["big", "blocks"]
        np.testing.assert_array_equal(client["big"].read(), np.ones(n))
        np.testing.assert_array_equal(client["blocks"].read(), np.zeros((4, 4), "<i4"))
        # A duplicate key: 409, and the existing node is untouched.
        with pytest.raises(ClientError, match="409"):
            client.write_array([1], key="big")
        np.testing.assert_array_equal(client["big"].read(), np.ones(n))
        assert not list((tmp_path / "data").rglob(".tmp-*")), "leftovers are swept at start"
    finally:
        server.stop()


def test_two_servers_share_one_postgresql_catalog(postgres, tmp_path):
    db = postgres.new_database().replace("postgresql+psycopg2://", "postgresql://")
    assert run_tessera("catalog", "init", db, cwd=tmp_path).returncode == 0
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = serve(db, tmp_path / "a"), serve(db, tmp_path / "b")
    try:
        c1, c2 = from_uri(one.url), from_uri(two.url)
        c1.write_array([1, 2, 3], key="from_one", metadata={"by": 1})
        c2.write_dataframe(pd.DataFrame({"x": [1.5]}), key="from_two", metadata={"by": 2})
        np.testing.assert_array_equal(c2["from_one"].read(), [1, 2, 3])
        assert c1.search(Key("by") == 2).values().first().read()["x"].tolist() == [1.5]
        # A key the other server created: 409.
        with pytest.raises(ClientError, match="409"):
            c2.write_array([0], key="from_one")
        assert sorted(c1) == sorted(c2) == ["from_one", "from_two"]
    finally:
        one.stop()
        two.stop()
