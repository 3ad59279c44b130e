"""The interop inputs, regenerated independently in numpy from their definitions.

Workloads T2, A1, A2s, A3 and D1 (D1s is its first 100 time steps) follow ../shared/bench/peer-encoders.md (checked against the
published SHA-256 digests in test_expected.py); E1 and the dtype zoo follow the tables in
benches/src/lib.rs (`edge_table`, `dtype_zoo`). Both sides must change together.
"""
from __future__ import annotations

import datetime as dt
import math

import numpy as np

EPOCH_2020_US = 1_577_836_800_000_000

TABLE_COLUMNS = ["id", "sin", "name", "flag", "ts", "half"]


def table(n: int) -> dict[str, np.ndarray]:
    """The first n rows of T1 (T2 is n = 100,000)."""
    i = np.arange(n, dtype=np.int64)
    f = i.astype(np.float64)
    vocab = np.array([f"name-{k}" for k in range(1000)], dtype=object)
    return {
        "id": i,
        "sin": np.sin(f),
        "name": vocab[i % 1000],
        "flag": (i % 3) == 0,
        "ts": (EPOCH_2020_US + i * 1_000_000).astype("datetime64[us]"),
        "half": (f * 0.5).astype(np.float32),
    }


def t2() -> dict[str, np.ndarray]:
    return table(100_000)


def a1() -> np.ndarray:
    k = np.arange(4096 * 4096, dtype=np.int64)
    return (k % 65521).astype(np.uint16).reshape(4096, 4096)


def a2s() -> np.ndarray:
    r = np.arange(1024, dtype=np.int64)[:, None]
    c = np.arange(1024, dtype=np.int64)[None, :]
    return np.sin((r * 4096 + c).astype(np.float64))


def a3() -> np.ndarray:
    i = np.arange(512, dtype=np.int64)[:, None]
    j = np.arange(512, dtype=np.int64)[None, :]
    return ((i * i + j * j) % 256).astype(np.uint8)


def d1s() -> dict[str, np.ndarray]:
    """The first 100 time steps of D1 (benches/src/lib.rs `d1s`)."""
    d = d1()
    return {"a": d["a"][:100], "b": d["b"][:100], "time": d["time"][:100]}


def d1() -> dict[str, np.ndarray]:
    k = np.arange(1000 * 1000, dtype=np.int64).astype(np.float64)
    return {"a": np.sin(k).reshape(1000, 1000), "b": (k * 0.5).reshape(1000, 1000),
            "time": np.arange(1000, dtype=np.int64)}


# E1: the edge-case table, as Python values (None = null), columns in order.
E1 = {
    "i": [0, -1, None, 2**53, -(2**53)],
    "big": [2**63 - 1, -(2**63), 0, 1, -1],
    "x": [0.1, -0.0, 5e-324, 1.7976931348623157e308, None],
    "s ✓": ["plain", 'comma, "quote"', "line\nbreak <b>&amp;</b>", "ünï 🦀", None],
    "b": [True, False, None, True, False],
    "t": [dt.datetime(1970, 1, 1), dt.datetime(2020, 1, 1, 0, 0, 0, 123456), None,
          dt.datetime(2001, 9, 9, 1, 46, 40), dt.datetime(9999, 12, 31, 23, 59, 59)],
}
E1_TYPES = {"i": "int", "big": "int", "x": "float", "s ✓": "str", "b": "bool", "t": "datetime"}


def _complex(re: np.ndarray, im: np.ndarray, dtype) -> np.ndarray:
    out = np.empty(re.shape, dtype=dtype)
    out.real, out.imag = re, im
    return out


def zoo() -> dict[str, np.ndarray]:
    """One small array per dtype family (see `dtype_zoo` in benches/src/lib.rs)."""
    k = lambda n: np.arange(n, dtype=np.int64)  # noqa: E731
    rec = np.zeros(3, dtype={"names": ["a", "b"], "formats": ["<i4", "<f8"], "offsets": [0, 8],
                             "itemsize": 16})
    rec["a"] = k(3) - 1
    rec["b"] = k(3).astype(np.float64) * 0.5
    f32 = k(3).astype(np.float32)
    f64 = k(4).astype(np.float64)
    return {
        "Z_i1": ((k(24) * 37) % 256).astype(np.uint8).view(np.int8).reshape(2, 3, 4),
        "Z_i2": (k(24) * 1000 - 12000).astype(np.int16).reshape(2, 3, 4),
        "Z_i4": (k(15) * 100_003 - 700_000).astype(np.int32).reshape(3, 5),
        "Z_i8": np.array([-(2**63), -1, 0, 1, 2**63 - 1], dtype=np.int64),
        "Z_u4": np.array([0, 1, 2**31, 2**32 - 1], dtype=np.uint32),
        "Z_u8": np.array([0, 1, 2**63, 2**64 - 1], dtype=np.uint64),
        "Z_b1": ((k(6) % 2) == 0).reshape(2, 3),
        "Z_f2": (k(4) * 0.25).astype(np.float16),
        "Z_f4": (k(16).astype(np.float32) * np.float32(0.1)).reshape(4, 4),
        "Z_f8": np.array([0.1, -0.0, 5e-324, np.finfo(np.float64).max, 1.0 / 3.0, -2.5e-300]),
        "Z_c8": _complex(f32, np.float32(-0.5) * f32, np.complex64),
        "Z_c16": _complex(0.1 * f64, -1.5 * f64, np.complex128).reshape(2, 2),
        "Z_M8s": (1_577_836_800 + 86_399 * k(4)).astype("datetime64[s]"),
        "Z_M8ns": np.array([0, 1_577_836_800_123_456_789, -1], dtype=np.int64).astype("datetime64[ns]"),
        "Z_m8ms": np.array([0, 1500, -86_400_000], dtype=np.int64).astype("timedelta64[ms]"),
        "Z_U5": np.array(["a", "héllo", "🦀x", ""], dtype="<U5"),
        "Z_S3": np.array([b"ab", b"xyz", b""], dtype="S3"),
        "Z_rec": rec,
        "Z_scalar": np.array(3.25),
        "Z_empty": np.zeros((0, 3)),
    }


def arrays() -> dict[str, np.ndarray]:
    """Every array input by name (A1, A2s, A3 and the zoo)."""
    return {"A1": a1(), "A2s": a2s(), "A3": a3(), **zoo()}


def same_float(a: float, b: float) -> bool:
    """Bit-for-bit float equality: -0.0 differs from 0.0, NaN equals NaN."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def assert_same_values(got: list, want: list, what: str) -> None:
    """Element-wise equality of two Python lists, floats compared bit for bit."""
    assert len(got) == len(want), f"{what}: {len(got)} values, expected {len(want)}"
    for n, (g, w) in enumerate(zip(got, want)):
        if isinstance(w, float) and isinstance(g, (float, int)) and not isinstance(g, bool):
            ok = same_float(float(g), w)
        else:
            ok = g == w and type(g) is type(w) if w is not None else g is None
        assert ok, f"{what}[{n}]: got {g!r}, expected {w!r}"


def assert_exact(got: np.ndarray, want: np.ndarray, what: str) -> None:
    """Same dtype, shape and bytes."""
    assert got.dtype == want.dtype, f"{what}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{what}: shape {got.shape}, expected {want.shape}"
    if got.tobytes() != want.tobytes():
        bad = np.flatnonzero(got.reshape(-1).view(np.uint8) != want.reshape(-1).view(np.uint8)) \
            if got.dtype.kind != "V" else []
        raise AssertionError(f"{what}: bytes differ (first differing byte at {bad[:5]})")
