"""Iceberg interop: tessera-iceberg writes tables into a SQL catalog and pyiceberg 0.12 reads
them from the same catalog (and the other way round), on a SQLite file and on a throwaway
PostgreSQL server started here.

tessera's side is the example `encoders/iceberg/examples/iceberg_export.rs` (built with cargo
and the `rest` feature unless TESSERA_ICEBERG_EXPORT points at it); data goes to it as Arrow IPC files written by
pyarrow, or as the shared T2 workload it generates itself. The server's
`POST /api/v1/export/iceberg/{path}` route and the `tessera export-iceberg` command are
exercised with the `tessera` binary built with the server feature `iceberg` (or
TESSERA_BIN_ICEBERG), serving the demo tree.

Needs (not in requirements.txt of the other interop tests):
    pip install "pyiceberg[sql-sqlite,sql-postgres]==0.12.0" "pyarrow==26.0.1"
and, for the PostgreSQL half, the Debian package `postgresql` (initdb and pg_ctl are looked
up under /usr/lib/postgresql/*/bin, or in TESSERA_PG_BIN). Without pyiceberg the module is
skipped; without PostgreSQL its tests are skipped, saying why.
"""
from __future__ import annotations

import datetime as dt
import decimal
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pytest

pytest.importorskip(
    "pyiceberg",
    reason='pyiceberg is not installed: pip install "pyiceberg[sql-sqlite,sql-postgres]==0.12.0"',
)
from pyiceberg.catalog.sql import SqlCatalog  # noqa: E402
from pyiceberg.exceptions import NoSuchTableError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CATALOG_NAME = "pixeltable"  # the name Pixeltable's tests use; both sides must use the same


# --- tessera's exporter ------------------------------------------------------------------------

@pytest.fixture(scope="session")
def exporter() -> Path:
    exe = os.environ.get("TESSERA_ICEBERG_EXPORT")
    if exe:
        return Path(exe)
    cache = Path(os.environ.get("TESSERA_CACHE", Path.home() / ".cache" / "tessera"))
    target = Path(os.environ.get("CARGO_TARGET_DIR", cache / "target"))
    subprocess.run(
        ["cargo", "build", "-p", "tessera-iceberg", "--features", "rest", "--example", "iceberg_export"],
        cwd=ROOT, check=True, env={**os.environ, "CARGO_TARGET_DIR": str(target)},
    )
    return target / "debug" / "examples" / "iceberg_export"


# --- PostgreSQL: a throwaway cluster for the session ----------------------------------------------

def _pg_bin() -> Path | None:
    if os.environ.get("TESSERA_PG_BIN"):
        return Path(os.environ["TESSERA_PG_BIN"])
    found = sorted(p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists())
    return found[-1] if found else None


class Postgres:
    def __init__(self, tmp: Path):
        self.bin = _pg_bin()
        self.dir = tmp
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        if self.as_postgres:
            shutil.chown(self.dir, "postgres")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self.as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        p = subprocess.run(cmd, cwd="/", capture_output=True, text=True)
        assert p.returncode == 0, f"{tool} failed: {p.stderr}"

    def start(self) -> None:
        data = str(self.dir / "data")
        self._run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", data, "-o", opts, "-l", str(self.dir / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")

    def new_database(self) -> str:
        import psycopg2
        name = f"t_{uuid.uuid4().hex[:12]}"
        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres")
        conn.autocommit = True
        conn.cursor().execute(f"CREATE DATABASE {name}")
        conn.close()
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres():
    if _pg_bin() is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql, or set TESSERA_PG_BIN)")
    # Not under pytest's tmp dir: that one is private to this user, and the server runs as postgres.
    tmp = Path(tempfile.mkdtemp(prefix="tessera-pg-"))
    pg = Postgres(tmp)
    try:
        pg.start()
        yield pg
    finally:
        try:
            pg.stop()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


# --- one catalog, two clients --------------------------------------------------------------------

class Catalog:
    """One SQL catalog seen by pyiceberg (`py`) and by tessera (`export`)."""

    def __init__(self, exe: Path, uri: str, warehouse: Path):
        self.exe, self.uri, self.warehouse = exe, uri, warehouse
        warehouse.mkdir(parents=True, exist_ok=True)
        self.py = SqlCatalog(CATALOG_NAME, uri=uri, warehouse=f"file://{warehouse}")

    def export(self, table: str, data: pa.Table | None = None, *, workload: str | None = None,
               batch_rows: int | None = None, expect_error: bool = False, args: tuple[str, ...] = ()) -> dict:
        cmd = [str(self.exe), "--uri", self.uri, "--warehouse", str(self.warehouse), "--table", table,
               "--catalog-name", CATALOG_NAME, *args]
        if data is not None:
            path = self.warehouse.parent / f"input-{uuid.uuid4().hex}.arrow"
            with ipc.new_file(path, data.schema) as w:
                w.write_table(data)
            cmd += ["--input", str(path)]
        else:
            cmd += ["--workload", workload]
        if batch_rows:
            cmd += ["--batch-rows", str(batch_rows)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        out = json.loads(p.stdout) if p.stdout.strip() else {}
        if expect_error:
            assert p.returncode == 1, (p.stdout, p.stderr)
            return out
        assert p.returncode == 0, (p.stdout, p.stderr)
        return out

    def read(self, table: str) -> pa.Table:
        return self.py.load_table(table).scan().to_arrow()


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request, exporter, tmp_path) -> Catalog:
    if request.param == "sqlite":
        # SQLAlchemy's absolute form (four slashes); tessera reads it the same way
        uri = f"sqlite:///{tmp_path}/catalog.db"
        assert uri.startswith("sqlite:////")
    else:
        uri = request.getfixturevalue("postgres").new_database()
    return Catalog(exporter, uri, tmp_path / "wh")


# --- a REST catalog: the Iceberg REST protocol served over a pyiceberg SqlCatalog --------------

class RestServer:
    """The endpoints iceberg-rust's RestCatalog uses (config, namespaces, tables: create, load,
    commit, drop), backed by a pyiceberg SqlCatalog on SQLite, so that the REST path of
    tessera-iceberg is exercised end to end and pyiceberg reads the result."""

    def __init__(self, root: Path):
        import http.server
        import threading
        from urllib.parse import unquote, urlsplit

        from pyiceberg.exceptions import (CommitFailedException, NamespaceAlreadyExistsError,
                                          NoSuchNamespaceError, TableAlreadyExistsError)
        from pyiceberg.partitioning import UNPARTITIONED_PARTITION_SPEC, PartitionSpec
        from pyiceberg.schema import Schema
        from pyiceberg.table import CommitTableRequest
        from pyiceberg.table.sorting import UNSORTED_SORT_ORDER, SortOrder

        self.backing = SqlCatalog("rest-backing", uri=f"sqlite:///{root}/rest.db", warehouse=f"file://{root}/wh")
        self.requests: list[str] = []
        backing, log = self.backing, self.requests

        def table_json(tbl) -> dict:
            return {"metadata-location": tbl.metadata_location,
                    "metadata": json.loads(tbl.metadata.model_dump_json()), "config": {}}

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, code: int, body: dict | None = None):
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def error(self, code: int, message: str, kind: str):
                self.reply(code, {"error": {"message": message, "type": kind, "code": code}})

            def body(self) -> dict:
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n) or b"{}")

            def route(self, method: str):
                parts = [unquote(p) for p in urlsplit(self.path).path.strip("/").split("/")]
                log.append(f"{method} /{'/'.join(parts[1:3])}")
                assert parts[0] == "v1", parts
                parts = parts[1:]
                try:
                    if parts == ["config"]:
                        return self.reply(200, {"defaults": {}, "overrides": {}})
                    if parts[0] != "namespaces":
                        return self.error(404, f"no route {parts}", "NoSuchRouteException")
                    if len(parts) == 1:
                        if method == "POST":
                            b = self.body()
                            backing.create_namespace(tuple(b["namespace"]), b.get("properties") or {})
                            return self.reply(200, {"namespace": b["namespace"], "properties": b.get("properties") or {}})
                        return self.reply(200, {"namespaces": [list(n) for n in backing.list_namespaces()]})
                    ns = tuple(parts[1].split("\x1f"))
                    if len(parts) == 2:
                        props = backing.load_namespace_properties(ns)
                        return self.reply(204) if method == "HEAD" else self.reply(
                            200, {"namespace": list(ns), "properties": props})
                    if len(parts) == 3 and parts[2] == "tables":
                        if method == "POST":
                            b = self.body()
                            tbl = backing.create_table(
                                ns + (b["name"],), schema=Schema.model_validate(b["schema"]),
                                location=b.get("location"),
                                partition_spec=PartitionSpec.model_validate(b["partition-spec"])
                                if b.get("partition-spec") else UNPARTITIONED_PARTITION_SPEC,
                                sort_order=SortOrder.model_validate(b["write-order"])
                                if b.get("write-order") else UNSORTED_SORT_ORDER,
                                properties=b.get("properties") or {})
                            return self.reply(200, table_json(tbl))
                        return self.reply(200, {"identifiers": [
                            {"namespace": list(i[:-1]), "name": i[-1]} for i in backing.list_tables(ns)]})
                    ident = ns + (parts[3],)
                    if method == "DELETE":
                        backing.drop_table(ident)
                        return self.reply(204)
                    tbl = backing.load_table(ident)
                    if method == "HEAD":
                        return self.reply(204)
                    if method == "GET":
                        return self.reply(200, table_json(tbl))
                    req = CommitTableRequest.model_validate(self.body())
                    resp = backing.commit_table(tbl, tuple(req.requirements), tuple(req.updates))
                    return self.reply(200, {"metadata-location": resp.metadata_location,
                                            "metadata": json.loads(resp.metadata.model_dump_json())})
                except (NoSuchTableError, NoSuchNamespaceError) as e:
                    return self.error(404, str(e), type(e).__name__)
                except (TableAlreadyExistsError, NamespaceAlreadyExistsError, CommitFailedException) as e:
                    return self.error(409, str(e), type(e).__name__)

            def do_GET(self):
                self.route("GET")

            def do_HEAD(self):
                self.route("HEAD")

            def do_POST(self):
                self.route("POST")

            def do_DELETE(self):
                self.route("DELETE")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def rest(tmp_path):
    server = RestServer(tmp_path)
    yield server
    server.close()


def rest_export(exe: Path, server: RestServer, table: str, data: pa.Table, *args: str,
                expect_error: bool | None = False) -> dict:
    """Runs the exporter against `server`; `expect_error=None` accepts any outcome."""
    path = Path(tempfile.mkdtemp()) / "input.arrow"
    with ipc.new_file(path, data.schema) as w:
        w.write_table(data)
    p = subprocess.run([str(exe), "--uri", server.uri, "--table", table, "--input", str(path), *args],
                       capture_output=True, text=True)
    shutil.rmtree(path.parent)
    out = json.loads(p.stdout) if p.stdout.strip() else {}
    if expect_error is not None:
        assert p.returncode == (1 if expect_error else 0), (p.stdout, p.stderr)
    return out


# --- data --------------------------------------------------------------------------------------

def sample(start: int, n: int) -> pa.Table:
    ids = list(range(start, start + n))
    utc = dt.timezone.utc
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "x": pa.array([None if i % 7 == 0 else i * 0.5 for i in ids], pa.float64()),
        "s ✓": pa.array([None if i % 5 == 0 else f"Manwë-{i}" for i in ids], pa.string()),
        "flag": pa.array([i % 2 == 0 for i in ids], pa.bool_()),
        "ts": pa.array([dt.datetime(2024, 1, 1, tzinfo=utc) + dt.timedelta(microseconds=i) for i in ids],
                       pa.timestamp("us", tz="UTC")),
        "d": pa.array([dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in ids], pa.date32()),
        "l": pa.array([None if i % 3 == 0 else [i, None] for i in ids], pa.list_(pa.int32())),
        "st": pa.array([{"a": i, "b": str(i)} for i in ids], pa.struct([("a", pa.int64()), ("b", pa.string())])),
        "bin": pa.array([bytes([i % 256, 0]) for i in ids], pa.binary()),
        "dec": pa.array([decimal.Decimal(i) / 100 for i in ids], pa.decimal128(10, 2)),
    })


def rows(t: pa.Table, key: str = "id") -> list[dict]:
    return sorted(t.to_pylist(), key=lambda r: r[key])


ICEBERG_TYPES = {
    "id": "long", "x": "double", "s ✓": "string", "flag": "boolean", "ts": "timestamptz", "d": "date",
    "l": "list<int>", "st": "struct<", "bin": "binary", "dec": "decimal(10, 2)",
}


def schema_of(catalog: Catalog, table: str) -> dict[str, str]:
    return {f.name: str(f.field_type) for f in catalog.py.load_table(table).schema().fields}


def data_files(warehouse: Path) -> list[Path]:
    return sorted(warehouse.rglob("*.parquet"))


# --- tests -------------------------------------------------------------------------------------

def test_export_schema_rows_and_snapshots(catalog):
    src = sample(0, 100)
    report = catalog.export("pxt.t", src, batch_rows=30)
    assert (report["action"], report["rows"]) == ("create", 100)
    assert 1 <= report["data_files"] <= 4  # one per parallel writer that got rows
    assert catalog.py.list_namespaces() == [("pxt",)]
    assert catalog.py.list_tables("pxt") == [("pxt", "t")]
    tbl = catalog.py.load_table("pxt.t")
    assert tbl.format_version == 2
    types = schema_of(catalog, "pxt.t")
    assert list(types) == src.column_names
    for name, want in ICEBERG_TYPES.items():
        assert types[name].startswith(want), (name, types[name])
    assert all(not f.required for f in tbl.schema().fields), "every column optional, as pyarrow's"
    assert len(tbl.snapshots()) == 1
    assert tbl.current_snapshot().summary.operation.value == "append"
    assert tbl.current_snapshot().summary["total-records"] == "100"
    assert rows(catalog.read("pxt.t")) == rows(src)
    assert tbl.location() == f"file://{catalog.warehouse}/pxt/t"


def test_append_adds_one_snapshot(catalog):
    a, b = sample(0, 40), sample(40, 25)
    catalog.export("pxt.t", a)
    report = catalog.export("pxt.t", b, batch_rows=5, args=("--if-exists", "append"))
    assert (report["action"], report["rows"]) == ("append", 25)
    tbl = catalog.py.load_table("pxt.t")
    snaps = sorted(tbl.snapshots(), key=lambda s: s.sequence_number)
    assert len(snaps) == 2, "one snapshot per export, whatever the number of batches"
    assert snaps[1].parent_snapshot_id == snaps[0].snapshot_id
    assert rows(catalog.read("pxt.t")) == rows(pa.concat_tables([a, b]))
    # the default if_exists is error
    out = catalog.export("pxt.t", b, expect_error=True)
    assert out["message"] == "export_iceberg(): table 'pxt.t' already exists"


def test_replace_is_the_same_table_with_new_schema_and_rows(catalog):
    old = sample(0, 30)
    catalog.export("pxt.t", old)
    before = catalog.py.load_table("pxt.t")
    new = pa.table({"k": pa.array(range(5), pa.int32()), "v": pa.array([f"v{i}" for i in range(5)])})
    report = catalog.export("pxt.t", new, args=("--if-exists", "replace"))
    assert (report["action"], report["rows"]) == ("replace", 5)
    tbl = catalog.py.load_table("pxt.t")
    assert schema_of(catalog, "pxt.t") == {"k": "int", "v": "string"}
    assert rows(catalog.read("pxt.t"), "k") == rows(new, "k")
    assert catalog.py.list_tables("pxt") == [("pxt", "t")], "no temporary table, ever"
    assert tbl.metadata.table_uuid == before.metadata.table_uuid
    assert tbl.location() == before.location()
    snaps = tbl.snapshots()
    assert len(snaps) == 2
    assert tbl.current_snapshot().summary.operation.value == "overwrite"
    assert tbl.current_snapshot().parent_snapshot_id == before.current_snapshot().snapshot_id
    # the old contents are still in the history (time travel)
    old_rows = tbl.scan(snapshot_id=before.current_snapshot().snapshot_id).to_arrow()
    assert old_rows.num_rows == 30
    # pyiceberg can keep writing to it
    tbl.append(pa.table({"k": pa.array([99], pa.int32()), "v": pa.array(["py"], pa.large_string())}))
    assert catalog.read("pxt.t").num_rows == 6


def test_empty_exports(catalog):
    empty = sample(0, 0)
    report = catalog.export("pxt.empty", empty)
    assert report["snapshot_id"] is None
    tbl = catalog.py.load_table("pxt.empty")
    assert tbl.snapshots() == [] and tbl.current_snapshot() is None
    assert catalog.read("pxt.empty").num_rows == 0
    assert list(schema_of(catalog, "pxt.empty")) == empty.column_names
    assert data_files(catalog.warehouse) == []
    # replacing a table by an empty result empties it with one `delete` snapshot
    catalog.export("pxt.full", sample(0, 10))
    catalog.export("pxt.full", empty.select(["id"]), args=("--if-exists", "replace"))
    tbl = catalog.py.load_table("pxt.full")
    assert tbl.current_snapshot().summary.operation.value == "delete"
    assert catalog.read("pxt.full").num_rows == 0
    assert list(schema_of(catalog, "pxt.full")) == ["id"]


def test_schema_overrides(catalog):
    src = pa.table({"i": pa.array([1, -2, 3], pa.int64()), "f": pa.array([0.5, 1.25, -3.0], pa.float32())})
    catalog.export("pxt.o", src, args=("--override", "i=int32", "--override", "f=float64"))
    assert schema_of(catalog, "pxt.o") == {"i": "int", "f": "double"}
    got = catalog.read("pxt.o")
    assert got.schema.field("i").type == pa.int32() and got.schema.field("f").type == pa.float64()
    assert rows(got, "i") == rows(src, "i")
    out = catalog.export("pxt.o2", src, args=("--override", "zz=int32"), expect_error=True)
    assert out["message"] == (
        "export_iceberg(): some column(s) specified in `schema_overrides` are not present in the source: zz")
    big = pa.table({"i": pa.array([1 << 40], pa.int64()), "f": pa.array([0.0], pa.float32())})
    out = catalog.export("pxt.o2", big, args=("--override", "i=int32"), expect_error=True)
    assert out["error"] == "TypeMismatch"
    assert "schema_overrides type int32 does not fit the data for column 'i'" in out["message"]
    with pytest.raises(NoSuchTableError):
        catalog.py.load_table("pxt.o2")


def test_filtered_query(catalog):
    src = sample(0, 60)
    report = catalog.export("pxt.q", src, args=("--columns", "s ✓,id", "--where", "id >= 40 AND flag"))
    assert report["rows"] == 10
    got = catalog.read("pxt.q")
    assert got.column_names == ["s ✓", "id"]
    want = [{"s ✓": r["s ✓"], "id": r["id"]} for r in rows(src) if r["id"] >= 40 and r["flag"]]
    assert rows(got) == want


def test_pyiceberg_writes_and_tessera_appends(catalog):
    first = sample(0, 20).select(["id", "x", "s ✓", "flag", "ts", "d", "l"])
    catalog.py.create_namespace("pxt")
    tbl = catalog.py.create_table("pxt.py", schema=first.schema)
    with tbl.transaction() as tx:
        tx.append(first.slice(0, 10))
        tx.append(first.slice(10, 10))
    assert len(catalog.py.load_table("pxt.py").snapshots()) == 2
    more = sample(20, 15).select(first.column_names)
    report = catalog.export("pxt.py", more, args=("--if-exists", "append"))
    assert report["action"] == "append"
    tbl = catalog.py.load_table("pxt.py")
    assert len(tbl.snapshots()) == 3
    assert rows(catalog.read("pxt.py")) == rows(pa.concat_tables([first, more]))
    # and the other way round again
    tbl.append(sample(35, 1).select(first.column_names).cast(tbl.schema().as_arrow()))
    assert catalog.read("pxt.py").num_rows == 36


def test_catalog_made_by_old_pyiceberg(exporter, tmp_path):
    """pyiceberg <= 0.11 made `iceberg_tables` without `iceberg_type` (apache/iceberg-rust#2068)."""
    db = tmp_path / "catalog.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE iceberg_tables (catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,"
                " table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000), previous_metadata_location"
                " VARCHAR(1000), PRIMARY KEY (catalog_name, table_namespace, table_name))")
    con.execute("CREATE TABLE iceberg_namespace_properties (catalog_name VARCHAR(255) NOT NULL, namespace"
                " VARCHAR(255) NOT NULL, property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000) NOT NULL,"
                " PRIMARY KEY (catalog_name, namespace, property_key))")
    con.commit()
    con.close()
    cat = Catalog(exporter, f"sqlite:///{db}", tmp_path / "wh")  # pyiceberg 0.12 runs in V0 mode here
    src = sample(0, 5).select(["id", "s ✓"])
    cat.py.create_namespace("old")
    cat.py.create_table("old.t", schema=src.schema).append(src)
    cat.export("old.t", sample(5, 5).select(["id", "s ✓"]), args=("--if-exists", "append"))
    assert cat.read("old.t").num_rows == 10
    cols = [r[1] for r in sqlite3.connect(db).execute("PRAGMA table_info(iceberg_tables)")]
    assert "iceberg_type" in cols


def test_t2_workload(catalog):
    report = catalog.export("bench.t2", workload="t2")
    assert report["rows"] == 100_000
    t = catalog.read("bench.t2").sort_by("id")
    assert schema_of(catalog, "bench.t2") == {
        "id": "long", "sin": "double", "name": "string", "flag": "boolean", "ts": "timestamp", "half": "float"}
    i = np.arange(100_000, dtype=np.int64)
    assert np.array_equal(t["id"].to_numpy(), i)
    assert np.array_equal(t["sin"].to_numpy(), np.sin(i.astype(np.float64)))
    assert t["name"].to_pylist()[:3] == ["name-0", "name-1", "name-2"] and t["name"][99_999].as_py() == "name-999"
    assert np.array_equal(t["flag"].to_numpy(zero_copy_only=False), i % 3 == 0)
    ts = t["ts"].cast(pa.int64()).to_numpy()
    assert np.array_equal(ts, 1_577_836_800_000_000 + i * 1_000_000)
    assert np.array_equal(t["half"].to_numpy(), (i * 0.5).astype(np.float32))


def test_refused_types_write_nothing(catalog):
    src = pa.table({"u": pa.array([1, 2], pa.uint64()), "t": pa.array([1, 2], pa.timestamp("ms"))})
    out = catalog.export("pxt.bad", src, expect_error=True)
    assert out["error"] == "UnsupportedType"
    assert "['u'] have type uint64, which Iceberg cannot hold" in out["message"]
    assert "['t'] hold timestamps in seconds or milliseconds" in out["message"]
    assert catalog.py.list_namespaces() == []
    assert not any(catalog.warehouse.rglob("*.*"))
    # converted on request
    catalog.export("pxt.bad", src, args=("--convert-types",))
    assert schema_of(catalog, "pxt.bad") == {"u": "decimal(20, 0)", "t": "timestamp"}
    assert [r["u"] for r in rows(catalog.read("pxt.bad"), "u")] == [1, 2]
    # a name without namespace, with Pixeltable's message
    out = catalog.export("tbl", src, expect_error=True)
    assert out["message"] == (
        "export_iceberg(): table_name 'tbl' must be namespace-qualified (e.g. 'my_namespace.my_table').")


def test_rest_catalog_create_append_and_failures(exporter, rest):
    exporter_rest = exporter
    src = sample(0, 30).select(["id", "x", "s ✓", "ts", "l"])
    probe = rest_export(exporter_rest, rest, "r.ns.probe", src.slice(0, 0), expect_error=None)
    if "feature `rest`" in probe.get("message", ""):
        pytest.skip("the exporter was built without the `rest` feature")
    report = rest_export(exporter_rest, rest, "r.ns.t", src, "--batch-rows", "7")
    assert (report["action"], report["rows"]) == ("create", 30)
    tbl = rest.backing.load_table("r.ns.t")
    assert len(tbl.snapshots()) == 1
    assert rows(tbl.scan().to_arrow()) == rows(src)
    more = sample(30, 5).select(src.column_names)
    rest_export(exporter_rest, rest, "r.ns.t", more, "--if-exists", "append")
    tbl = rest.backing.load_table("r.ns.t")
    assert len(tbl.snapshots()) == 2
    assert tbl.scan().to_arrow().num_rows == 35
    # replace needs a commit iceberg-rust cannot send to a REST catalog: refused, untouched
    out = rest_export(exporter_rest, rest, "r.ns.t", more, "--if-exists", "replace", expect_error=True)
    assert out["error"] == "Unsupported"
    assert "only available on SQL catalogs" in out["message"]
    assert rest.backing.load_table("r.ns.t").metadata_location == tbl.metadata_location
    # a new table whose source fails is dropped again
    out = rest_export(exporter_rest, rest, "r.ns.u", src, "--batch-rows", "7", "--fail-after-batches", "2",
                      expect_error=True)
    assert out["error"] == "Input"
    assert "The table created for it was dropped again." in out["message"], out["message"]
    assert sorted(rest.backing.list_tables(("r", "ns"))) == [("r", "ns", "probe"), ("r", "ns", "t")]
    # an append whose source fails commits nothing
    out = rest_export(exporter_rest, rest, "r.ns.t", more, "--if-exists", "append", "--batch-rows", "1",
                      "--fail-after-batches", "3", expect_error=True)
    assert "Nothing was committed: table 'r.ns.t' is unchanged." in out["message"]
    assert rest.backing.load_table("r.ns.t").metadata_location == tbl.metadata_location
    assert any(r.startswith("POST /namespaces/r") for r in rest.requests), rest.requests


def test_format_version_1_tables(catalog):
    """Tables pyiceberg creates with format-version 1 take appends and replaces too."""
    first = sample(0, 10).select(["id", "s ✓"])
    catalog.py.create_namespace("v1")
    tbl = catalog.py.create_table("v1.t", schema=first.schema, properties={"format-version": "1"})
    tbl.append(first)
    catalog.export("v1.t", sample(10, 5).select(first.column_names), args=("--if-exists", "append"))
    tbl = catalog.py.load_table("v1.t")
    assert tbl.format_version == 1
    assert len(tbl.snapshots()) == 2
    assert catalog.read("v1.t").num_rows == 15
    new = pa.table({"k": pa.array([1, 2, 3], pa.int64())})
    catalog.export("v1.t", new, args=("--if-exists", "replace"))
    tbl = catalog.py.load_table("v1.t")
    assert tbl.format_version == 1
    assert schema_of(catalog, "v1.t") == {"k": "long"}
    assert rows(catalog.read("v1.t"), "k") == rows(new, "k")
    assert tbl.current_snapshot().summary.operation.value == "overwrite"


def test_nulls_into_required_columns_are_refused(catalog):
    """A required column (pyiceberg makes one from a non-nullable field) never gets a null:
    Parquet would store it as 0. The export fails and commits nothing."""
    schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("s", pa.string())])
    catalog.py.create_namespace("req")
    tbl = catalog.py.create_table("req.t", schema=schema)
    assert tbl.schema().find_field("id").required
    tbl.append(pa.table({"id": [1], "s": ["a"]}, schema=schema))
    with_null = pa.table({"id": pa.array([2, None], pa.int64()), "s": ["b", "c"]})
    out = catalog.export("req.t", with_null, args=("--if-exists", "append"), expect_error=True)
    assert out["error"] == "TypeMismatch"
    assert "column 'id' is required (not null) in table 'req.t', but the source has nulls in it." in out["message"]
    assert "Nothing was committed" in out["message"]
    assert len(catalog.py.load_table("req.t").snapshots()) == 1
    catalog.export("req.t", with_null.slice(0, 1), args=("--if-exists", "append"))
    assert rows(catalog.read("req.t")) == [{"id": 1, "s": "a"}, {"id": 2, "s": "b"}]


# --- the server route and the `tessera export-iceberg` command ------------------------------------
#
# The `tessera` binary built with the server feature `iceberg` (TESSERA_BIN_ICEBERG points at a
# prebuilt one). It is copied out of the shared target directory, so that another build of the
# server with other features cannot replace it while the tests run.

@pytest.fixture(scope="session")
def tessera_bin(tmp_path_factory) -> Path:
    exe = os.environ.get("TESSERA_BIN_ICEBERG")
    if exe:
        return Path(exe)
    cache = Path(os.environ.get("TESSERA_CACHE", Path.home() / ".cache" / "tessera"))
    target = Path(os.environ.get("CARGO_TARGET_DIR", cache / "target"))
    subprocess.run(
        ["cargo", "build", "-p", "tessera-server", "--features", "iceberg", "--bin", "tessera"],
        cwd=ROOT, check=True, env={**os.environ, "CARGO_TARGET_DIR": str(target)},
    )
    copy = tmp_path_factory.mktemp("bin") / "tessera"
    shutil.copy2(target / "debug" / "tessera", copy)
    return copy


class DemoServer:
    """`tessera serve demo` on a free port with the catalog as `pixeltable` (the name pyiceberg
    opens it under)."""

    KEY = "interop-key"

    def __init__(self, exe: Path, catalog: Catalog):
        self.proc = subprocess.Popen(
            [str(exe), "serve", "demo", "--port", "0", "--public", "--api-key", self.KEY,
             "--iceberg-catalog", f"{CATALOG_NAME}={catalog.uri}",
             "--iceberg-warehouse", f"{CATALOG_NAME}={catalog.warehouse}"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            env={k: v for k, v in os.environ.items() if k != "TESSERA_API_KEY"})
        self.base = None
        for line in self.proc.stderr:
            if "running on http://" in line:
                self.base = line.split("running on ")[1].split()[0]
                break
        assert self.base, "the server printed no URL"
        import threading
        threading.Thread(target=lambda: [None for _ in self.proc.stderr], daemon=True).start()

    def export(self, path: str, body: dict, key: str | None = KEY) -> tuple[int, dict]:
        import urllib.error
        import urllib.request
        url = f"{self.base}/api/v1/export/iceberg/{path}" + (f"?api_key={key}" if key else "")
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def arrow(self, path: str) -> pa.Table:
        import urllib.request
        url = f"{self.base}/api/v1/table/full/{path}?format=application/vnd.apache.arrow.stream&api_key={self.KEY}"
        with urllib.request.urlopen(url, timeout=120) as r:
            return ipc.open_stream(r.read()).read_all()

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


@pytest.fixture
def demo_server(tessera_bin, catalog):
    server = DemoServer(tessera_bin, catalog)
    yield server
    server.close()


def test_server_route_exports_a_filtered_query(demo_server, catalog):
    src = demo_server.arrow("short_table")  # what the server itself serves
    status, report = demo_server.export("short_table", {
        "catalog": CATALOG_NAME, "table": "srv.short", "columns": ["C", "A", "B"], "where": "A >= 128",
        "schema_overrides": {"B": "float32"}})
    assert status == 200, report
    want = [{"C": r["C"], "A": r["A"], "B": r["B"]} for r in src.to_pylist() if r["A"] >= 128]
    assert (report["catalog"], report["action"], report["rows"]) == (CATALOG_NAME, "create", len(want))
    assert schema_of(catalog, "srv.short") == {"C": "string", "A": "int", "B": "float"}
    tbl = catalog.py.load_table("srv.short")
    assert [s.snapshot_id for s in tbl.snapshots()] == [report["snapshot_id"]]
    got = catalog.read("srv.short")
    assert sorted((r["C"], r["A"]) for r in got.to_pylist()) == sorted((r["C"], r["A"]) for r in want)
    assert np.allclose(sorted(got["B"].to_pylist()), sorted(np.float32([r["B"] for r in want])))
    # append: one more snapshot; replace: new schema and rows; error: 409, untouched
    status, report = demo_server.export("short_table", {
        "catalog": CATALOG_NAME, "table": "srv.short", "columns": ["C", "A", "B"], "where": "A < 128",
        "schema_overrides": {"B": "float32"}, "if_exists": "append"})
    assert (status, report["action"]) == (200, "append"), report
    assert len(catalog.py.load_table("srv.short").snapshots()) == 2
    assert catalog.read("srv.short").num_rows == src.num_rows
    status, report = demo_server.export("short_table", {
        "catalog": CATALOG_NAME, "table": "srv.short", "if_exists": "replace", "convert_types": True})
    assert (status, report["action"], report["rows"]) == (200, "replace", 100), report
    assert schema_of(catalog, "srv.short") == {
        "A": "int", "B": "double", "C": "string", "D": "timestamp", "E": "boolean"}
    got = catalog.read("srv.short")
    assert sorted(got["D"].cast(pa.int64()).to_pylist()) == sorted(
        src["D"].cast(pa.timestamp("us")).cast(pa.int64()).to_pylist())
    status, report = demo_server.export("short_table", {"catalog": CATALOG_NAME, "table": "srv.short"})
    assert status == 409 and report["detail"] == "export_iceberg(): table 'srv.short' already exists"
    assert len(catalog.py.load_table("srv.short").snapshots()) == 3
    # no key, unknown catalog, bad type: refused, nothing written
    assert demo_server.export("short_table", {"catalog": CATALOG_NAME, "table": "srv.x"}, key=None)[0] == 401
    assert demo_server.export("short_table", {"catalog": "other", "table": "srv.x"})[0] == 404
    status, report = demo_server.export("short_table", {"catalog": CATALOG_NAME, "table": "srv.x"})
    assert status == 422 and "['D'] hold timestamps in seconds or milliseconds" in report["detail"]
    with pytest.raises(NoSuchTableError):
        catalog.py.load_table("srv.x")


def test_server_route_exports_a_dataset_and_an_empty_query(demo_server, catalog):
    status, report = demo_server.export("structured_data/xarray_dataset", {
        "catalog": CATALOG_NAME, "table": "srv.ds", "convert_types": True})
    assert (status, report["rows"]) == (200, 12), report
    got = catalog.read("srv.ds")
    assert {"temperature", "precipitation", "lat", "lon", "time"} <= set(got.column_names)
    status, report = demo_server.export("long_table", {
        "catalog": CATALOG_NAME, "table": "srv.none", "where": "A < 0"})
    assert (status, report["rows"], report["snapshot_id"]) == (200, 0, None), report
    tbl = catalog.py.load_table("srv.none")
    assert tbl.snapshots() == [] and catalog.read("srv.none").num_rows == 0


def cli(exe: Path, catalog: Catalog, source: str, table: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(exe), "export-iceberg", source, table, "--catalog-uri", catalog.uri,
         "--warehouse", str(catalog.warehouse), "--catalog-name", CATALOG_NAME, *args],
        capture_output=True, text=True, env={k: v for k, v in os.environ.items() if k != "TESSERA_API_KEY"})


def test_cli_exports_files_and_server_tables(tessera_bin, demo_server, catalog, tmp_path):
    import pyarrow.parquet as pq
    src = sample(0, 500).select(["id", "x", "s ✓", "flag", "ts", "d", "l", "st", "bin", "dec"])
    pq.write_table(src, tmp_path / "in.parquet", row_group_size=128)
    p = cli(tessera_bin, catalog, str(tmp_path / "in.parquet"), "cli.pq")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)
    assert (report["action"], report["rows"]) == ("create", 500)
    assert "create cli.pq: 500 rows" in p.stderr
    for name, want in ICEBERG_TYPES.items():
        assert schema_of(catalog, "cli.pq")[name].startswith(want), name
    assert rows(catalog.read("cli.pq")) == rows(src)
    # an Arrow IPC stream file, projected and filtered, appended
    with ipc.new_stream(tmp_path / "in.arrows", src.schema) as w:
        w.write_table(sample(500, 100).select(src.column_names), max_chunksize=7)
    p = cli(tessera_bin, catalog, str(tmp_path / "in.arrows"), "cli.pq", "--if-exists", "append",
            "--where", "flag AND id >= 550")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["rows"] == 25
    tbl = catalog.py.load_table("cli.pq")
    assert len(tbl.snapshots()) == 2 and catalog.read("cli.pq").num_rows == 525
    # a server's table, in Tiled's metadata-URL form, with the key in the URL
    url = f"{demo_server.base}/api/v1/metadata/long_table?api_key={demo_server.KEY}"
    p = cli(tessera_bin, catalog, url, "cli.long", "--columns", "A,C", "--where", "A > 0.9",
            "--schema-override", "C=float32", "--quiet")
    assert p.returncode == 0 and p.stderr == "", p.stderr
    whole = demo_server.arrow("long_table")
    want = whole.filter(pa.compute.greater(whole["A"], 0.9)).select(["A", "C"])
    assert schema_of(catalog, "cli.long") == {"A": "double", "C": "float"}
    got = catalog.read("cli.long").sort_by("A")
    assert np.array_equal(got["A"].to_numpy(), want.sort_by("A")["A"].to_numpy())
    assert len(catalog.py.load_table("cli.long").snapshots()) == 1
    # the short form, and a failure: exit 1, the server's message
    p = cli(tessera_bin, catalog, f"{demo_server.base}/short_table", "cli.short", "--api-key", demo_server.KEY)
    assert p.returncode == 1 and "hold timestamps in seconds or milliseconds" in p.stderr, p.stderr
    p = cli(tessera_bin, catalog, f"{demo_server.base}/short_table", "cli.short", "--api-key", demo_server.KEY,
            "--convert-types")
    assert p.returncode == 0, p.stderr
    assert catalog.read("cli.short").num_rows == 100
