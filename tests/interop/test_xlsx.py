"""XLSX read by openpyxl: a header row, then cells with Excel's types — numbers (ints and
floats exact), booleans, strings, dates (timestamps as date-formatted numbers) and empty
cells for nulls."""
import datetime as dt
import io

import pytest
from openpyxl import load_workbook

import expected
from tables import check_e1, check_t2

XLSX = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
# Excel stores a date as days since 1900 in a double: sub-millisecond parts do not survive.
TS_TOLERANCE_US = 1000


def _read(path):
    wb = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    wb.close()
    header, body = list(rows[0]), rows[1:]
    return {h: [r[i] if i < len(r) else None for r in body] for i, h in enumerate(header)}


def test_xlsx_t2_cell_types(outputs):
    cols = _read(outputs.path("table", XLSX, "T2"))
    # Excel numbers are doubles: an integer may read back as int (`<v>1</v>`) or float (`1.0`).
    assert all(type(v) in (int, float) and float(v).is_integer() for v in cols["id"][:100]), "ids are numbers"
    assert all(type(v) is bool for v in cols["flag"][:100]), "flags are booleans"
    assert all(isinstance(v, dt.datetime) for v in cols["ts"][:100]), f"ts are dates: {cols['ts'][:2]}"
    assert all(isinstance(v, str) for v in cols["name"][:100])
    check_t2(cols, "xlsx T2", ts_tolerance_us=TS_TOLERANCE_US)


def test_xlsx_e1(outputs):
    cols = _read(outputs.path("table", XLSX, "E1"))
    assert list(cols) == list(expected.E1)
    # `big` holds integers beyond 2^53, which Excel numbers (doubles) cannot: not checked.
    # -0.0 reads back as 0 (Excel has one zero).
    got_x = [abs(float(v)) if v == 0 else (float(v) if v is not None else None) for v in cols["x"]]
    expected.assert_same_values(got_x, [0.1, 0.0, 5e-324, 1.7976931348623157e308, None], "xlsx E1.x")
    check_e1(cols, "xlsx E1", skip=("big", "x"), ts_tolerance_us=TS_TOLERANCE_US)
