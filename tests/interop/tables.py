"""Comparing a table as some reader decoded it with the expected T2 / E1."""
from __future__ import annotations

import datetime as dt

import numpy as np

import expected


def to_datetime(v):
    """An ISO 8601 string (`T` or space separated), a datetime or a datetime64 → datetime."""
    if v is None:
        return None
    if isinstance(v, str):
        return np.datetime64(v.replace(" ", "T"), "us").item()
    if isinstance(v, np.datetime64):
        return v.astype("datetime64[us]").item()
    if isinstance(v, dt.datetime):
        return v
    raise AssertionError(f"not a timestamp: {v!r}")


def check_t2(cols: dict, what: str, *, ts_tolerance_us: int = 0) -> None:
    """`cols`: column name → sequence of decoded values (any order of keys is an error)."""
    want = expected.t2()
    assert list(cols) == expected.TABLE_COLUMNS, f"{what}: columns {list(cols)}"
    n = len(want["id"])
    for name, values in cols.items():
        assert len(values) == n, f"{what}.{name}: {len(values)} rows, expected {n}"
    np.testing.assert_array_equal(np.asarray(cols["id"], dtype=np.int64), want["id"], err_msg=f"{what}.id")
    sin = np.asarray(cols["sin"], dtype=np.float64)
    bad = np.flatnonzero(sin.view(np.int64) != want["sin"].view(np.int64))
    assert bad.size == 0, f"{what}.sin differs at rows {bad[:5]}: {sin[bad[:5]]} vs {want['sin'][bad[:5]]}"
    assert list(cols["name"]) == list(want["name"]), f"{what}.name"
    flag = [bool(v) if not isinstance(v, str) else {"true": True, "false": False}[v.lower()]
            for v in cols["flag"]]
    assert all(isinstance(v, (bool, np.bool_)) or isinstance(v, str) for v in list(cols["flag"])[:10]), \
        f"{what}.flag is not boolean: {list(cols['flag'])[:3]}"
    np.testing.assert_array_equal(np.array(flag), want["flag"], err_msg=f"{what}.flag")
    ts = np.array([to_datetime(v) for v in cols["ts"]], dtype="datetime64[us]")
    diff = np.abs((ts - want["ts"]).astype(np.int64))
    assert diff.max() <= ts_tolerance_us, f"{what}.ts differs by up to {diff.max()} us, first at row {diff.argmax()}"
    half = np.asarray(cols["half"], dtype=np.float64)
    np.testing.assert_array_equal(half, want["half"].astype(np.float64), err_msg=f"{what}.half")


def check_e1(cols: dict, what: str, *, skip: tuple[str, ...] = (), ts_tolerance_us: int = 0) -> None:
    """`cols`: column name → list of decoded Python values (None for null)."""
    assert list(cols) == list(expected.E1), f"{what}: columns {list(cols)}"
    for name, want in expected.E1.items():
        if name in skip:
            continue
        got = list(cols[name])
        kind = expected.E1_TYPES[name]
        if kind == "datetime":
            got = [to_datetime(v) for v in got]
            assert len(got) == len(want), f"{what}.{name}: {len(got)} rows"
            for n, (g, w) in enumerate(zip(got, want)):
                assert (g is None) == (w is None), f"{what}.{name}[{n}]: got {g!r}, expected {w!r}"
                if w is not None:
                    off = abs((g - w) / dt.timedelta(microseconds=1))
                    assert off <= ts_tolerance_us, f"{what}.{name}[{n}]: got {g}, expected {w}"
            continue
        if kind == "int":
            got = [int(v) if v is not None and not isinstance(v, bool) else v for v in got]
        if kind == "float":
            got = [float(v) if v is not None else None for v in got]
        if kind == "bool":
            got = [{"true": True, "false": False}[v.lower()] if isinstance(v, str) else
                   (bool(v) if v is not None else None) for v in got]
        expected.assert_same_values(got, want, f"{what}.{name}")
