"""Arrow IPC (file and stream) and Parquet read by pyarrow (and pandas): the same columns,
types and values, nulls included; D1s exported as a table (xarray's to_dataframe form)."""
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

import expected
from tables import check_e1, check_t2

ARROW_FILE = ("application/vnd.apache.arrow.file", "arrow")
ARROW_STREAM = ("application/vnd.apache.arrow.stream", "arrows")
PARQUET = ("application/x-parquet", "application/vnd.apache.parquet", "parquet")

READERS = {
    "arrow-file": (ARROW_FILE, lambda p: ipc.open_file(pa.memory_map(str(p))).read_all()),
    "arrow-stream": (ARROW_STREAM, lambda p: ipc.open_stream(pa.memory_map(str(p))).read_all()),
    "parquet": (PARQUET, lambda p: pq.read_table(p)),
}
T2_TYPES = {"id": pa.int64(), "sin": pa.float64(), "flag": pa.bool_(), "half": pa.float32()}


def _data_columns(t: pa.Table, names):
    """The table's columns named in `names`, in table order; an extra pandas index column
    (Tiled writes `from_pandas(preserve_index=True)`) is tolerated."""
    extra = [n for n in t.column_names if n not in names]
    assert all(n.startswith("__index_level_") or n == "index" for n in extra), f"unexpected columns {extra}"
    return {n: t.column(n) for n in t.column_names if n in names}


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_t2(outputs, fmt):
    names, read = READERS[fmt]
    t = read(outputs.path("table", names, "T2"))
    cols = _data_columns(t, expected.TABLE_COLUMNS)
    for n, typ in T2_TYPES.items():
        assert cols[n].type == typ, f"{fmt} {n}: {cols[n].type}"
    assert pa.types.is_string(cols["name"].type) or pa.types.is_large_string(cols["name"].type) \
        or pa.types.is_string_view(cols["name"].type), cols["name"].type
    assert cols["ts"].type == pa.timestamp("us"), cols["ts"].type
    check_t2({n: c.to_numpy() for n, c in cols.items()}, f"{fmt} T2")


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_e1_nulls(outputs, fmt):
    names, read = READERS[fmt]
    t = read(outputs.path("table", names, "E1"))
    cols = _data_columns(t, list(expected.E1))
    assert cols["t"].type == pa.timestamp("us"), cols["t"].type
    check_e1({n: c.to_pylist() for n, c in cols.items()}, f"{fmt} E1")


def test_parquet_pandas(outputs):
    df = pd.read_parquet(outputs.path("table", PARQUET, "T2"))
    assert [c for c in df.columns if c in expected.TABLE_COLUMNS] == expected.TABLE_COLUMNS
    assert len(df) == 100_000
    np.testing.assert_array_equal(df["sin"].to_numpy(), expected.t2()["sin"])


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_d1s_as_table(outputs, fmt):
    names, read = READERS[fmt]
    t = read(outputs.path("xarray_dataset", names, "D1s"))
    want = expected.d1s()
    assert {"a", "b"} <= set(t.column_names), t.column_names
    assert t.num_rows == 100_000
    np.testing.assert_array_equal(t.column("a").to_numpy(), want["a"].reshape(-1))
    np.testing.assert_array_equal(t.column("b").to_numpy(), want["b"].reshape(-1))
    if "time" in t.column_names:
        np.testing.assert_array_equal(t.column("time").to_numpy(), np.repeat(want["time"], 1000))
