"""Text table formats read by pandas, pyarrow and the standard library: CSV (header, values,
ISO timestamps, quoting), column-oriented JSON, NDJSON and json-seq (RFC 7464). Floats must
parse back to the same bits (shortest round-trip text)."""
import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pytest

import expected
from tables import check_e1, check_t2

CSV = ("text/csv", "csv")
JSON = ("application/json", "json")
NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl", "ndjson", "jsonl")
JSON_SEQ = ("application/json-seq", "json-seq")

E1_ARROW_TYPES = {"i": pa.int64(), "big": pa.int64(), "x": pa.float64(), "s ✓": pa.string(),
                  "b": pa.bool_(), "t": pa.timestamp("us")}


def _csv_arrow(path, column_types=None):
    return pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types=column_types or {}, strings_can_be_null=True,
                                             quoted_strings_can_be_null=False),
    )


# --- CSV -------------------------------------------------------------------------------------

def test_csv_t2_pyarrow(outputs):
    t = _csv_arrow(outputs.path("table", CSV, "T2"))
    assert t.column_names == expected.TABLE_COLUMNS
    assert t.schema.field("id").type == pa.int64()
    assert t.schema.field("flag").type == pa.bool_()
    assert pa.types.is_timestamp(t.schema.field("ts").type), f"ts parsed as {t.schema.field('ts').type}"
    cols = {n: t.column(n).to_numpy(zero_copy_only=False) for n in t.column_names}
    check_t2(cols, "csv T2 (pyarrow)")


def test_csv_t2_pandas(outputs):
    df = pd.read_csv(outputs.path("table", CSV, "T2"))
    assert list(df.columns) == expected.TABLE_COLUMNS
    assert df["id"].dtype == np.int64 and df["flag"].dtype == bool, df.dtypes
    ts = pd.to_datetime(df["ts"], format="ISO8601").to_numpy(dtype="datetime64[us]")
    cols = {n: df[n].to_numpy() for n in df.columns}
    cols["ts"] = ts
    check_t2(cols, "csv T2 (pandas)")


def test_csv_e1_nulls_quoting_unicode(outputs):
    path = outputs.path("table", CSV, "E1")
    text = path.read_bytes().decode("utf-8")
    assert text.splitlines()[0].split(",") == list(expected.E1), "header row"
    t = _csv_arrow(path, E1_ARROW_TYPES)
    check_e1({n: t.column(n).to_pylist() for n in t.column_names}, "csv E1 (pyarrow)")
    df = pd.read_csv(path, keep_default_na=False, na_values=[""])
    assert list(df.columns) == list(expected.E1)
    assert df["s ✓"].tolist()[:4] == expected.E1["s ✓"][:4]


# --- JSON (column-oriented) --------------------------------------------------------------------

def test_json_t2_columns(outputs):
    path = outputs.path("table", JSON, "T2")
    doc = json.loads(path.read_bytes())
    assert isinstance(doc, dict), "column-oriented JSON is an object of columns"
    check_t2(doc, "json T2")
    df = pd.read_json(path, orient="columns", precise_float=True, convert_dates=False)
    assert list(df.columns) == expected.TABLE_COLUMNS and len(df) == 100_000


def test_json_e1_nulls_and_extremes(outputs):
    doc = json.loads(outputs.path("table", JSON, "E1").read_bytes())
    check_e1(doc, "json E1")


# --- NDJSON --------------------------------------------------------------------------------------

def _rows_to_columns(rows):
    assert rows, "no rows"
    names = list(rows[0])
    for r in rows:
        assert list(r) == names, f"row keys {list(r)} differ from {names}"
    return {n: [r[n] for r in rows] for n in names}


def test_ndjson_t2(outputs):
    path = outputs.path("table", NDJSON, "T2")
    text = path.read_bytes().decode("utf-8")
    assert text.endswith("\n")
    rows = [json.loads(line) for line in text.split("\n")[:-1]]
    check_t2(_rows_to_columns(rows), "ndjson T2")
    t = pajson.read_json(path)
    assert t.column_names == expected.TABLE_COLUMNS and t.num_rows == 100_000
    df = pd.read_json(path, lines=True, precise_float=True, convert_dates=False)
    assert list(df.columns) == expected.TABLE_COLUMNS and len(df) == 100_000


def test_ndjson_e1(outputs):
    text = outputs.path("table", NDJSON, "E1").read_bytes().decode("utf-8")
    rows = [json.loads(line) for line in text.split("\n")[:-1]]
    check_e1(_rows_to_columns(rows), "ndjson E1")


# --- json-seq (RFC 7464) -----------------------------------------------------------------------

def _json_seq(data: bytes):
    parts = data.split(b"\x1e")
    assert parts[0] == b"", "every record starts with RS (0x1E)"
    out = []
    for p in parts[1:]:
        assert p.endswith(b"\n"), f"record not terminated by LF: {p[-20:]!r}"
        out.append(json.loads(p))
    return out


def test_json_seq_t2(outputs):
    rows = _json_seq(outputs.path("table", JSON_SEQ, "T2").read_bytes())
    check_t2(_rows_to_columns(rows), "json-seq T2")


def test_json_seq_e1(outputs):
    rows = _json_seq(outputs.path("table", JSON_SEQ, "E1").read_bytes())
    check_e1(_rows_to_columns(rows), "json-seq E1")
