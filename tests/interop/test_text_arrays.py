"""Arrays as CSV (numpy.savetxt-like: no header, one row per line) and JSON (nested lists),
parsed by the standard library and numpy. Numbers must parse back to the same values;
floats to the same bits. Formats may refuse dtypes or shapes they cannot hold."""
import json

import numpy as np
import pytest

import expected

ARRAYS = expected.arrays()
CSV = ("text/csv", "csv")
JSON = ("application/json", "json")

# Workloads every array CSV/JSON encoder must take; zoo entries it may refuse.
MUST = {"A1", "A2s", "A3"}
CSV_KINDS = "biuf"   # kinds whose CSV text this suite checks


def _parse_csv_value(text: str, dtype: np.dtype):
    if dtype.kind == "b":
        return {"true": True, "false": False, "1": True, "0": False}[text.strip().lower()]
    if dtype.kind in "iu":
        return int(text)
    return float(text)


@pytest.mark.parametrize("name", sorted(n for n, a in ARRAYS.items() if a.dtype.kind in CSV_KINDS))
def test_csv_array(outputs, name):
    want = ARRAYS[name]
    path = outputs.path("array", CSV, name, may_refuse=name not in MUST)
    lines = path.read_bytes().decode("utf-8").splitlines()
    if want.ndim == 0:
        values = [[_parse_csv_value(lines[0], want.dtype)]]
    else:
        values = [[_parse_csv_value(v, want.dtype) for v in line.split(",")] for line in lines]
    if want.ndim == 1:
        assert all(len(r) == 1 for r in values), "a 1-D array is one value per line"
    got = np.array(values, dtype=want.dtype).reshape(want.shape)
    expected.assert_exact(got, want, f"csv {name}")


@pytest.mark.parametrize("name", sorted(n for n, a in ARRAYS.items() if a.dtype.kind in "biufMU"))
def test_json_array(outputs, name):
    want = ARRAYS[name]
    doc = json.loads(outputs.path("array", JSON, name, may_refuse=name not in MUST).read_bytes())
    if want.ndim == 0:
        assert not isinstance(doc, list), "a 0-d array is a bare value"
    if want.dtype.kind == "M":
        got = np.array(doc, dtype=want.dtype)     # ISO 8601 strings
    elif want.dtype.kind == "f":
        # Parsed as float64 then narrowed: the shortest text of a float32 (`0.1`) is not its
        # exact value, but narrows back to the same float32.
        got = np.array(doc, dtype=np.float64).astype(want.dtype)
    else:
        got = np.array(doc, dtype=want.dtype)
    # nested lists lose the shape of an empty array ((0, 3) → []): compare sizes, then reshape
    assert got.size == want.size, f"json {name}: {got.size} values, expected {want.size}"
    got = got.reshape(want.shape)
    expected.assert_exact(got, want, f"json {name}")
