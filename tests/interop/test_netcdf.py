"""NetCDF-3, NetCDF-4 and HDF5 outputs (tessera-netcdf) read back by xarray (scipy, netcdf4 and
h5netcdf engines), netCDF4-python and h5py, and compared with the source data.

Inputs come from two places:
* the registry dump (`outputs` fixture, conftest.py): D1s through every compiled-in dataset
  encoder, the dtype zoo and A1/A2s/A3 as HDF5 arrays, T2 and E1 as HDF5 tables;
* the crate's own dumper (`encoders/netcdf/examples/dump.rs`): D1, Tiled's demo dataset, a
  dataset of every dtype, the demo-shaped container tree, a table and the structured `pets`
  array. Taken from $TESSERA_NETCDF_OUT, or $TESSERA_INTEROP_OUT/netcdf, or else built and run
  here with cargo (features from $TESSERA_NETCDF_FEATURES, default `netcdf4,hdf5`).
The Rust side of these values is encoders/netcdf/tests/it/fixtures.rs: both must change
together.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import expected

xr = pytest.importorskip("xarray")
pytest.importorskip("scipy", reason="xarray's scipy engine (NetCDF-3) needs scipy")
h5py = pytest.importorskip("h5py")
pytest.importorskip("h5netcdf")
netCDF4 = pytest.importorskip("netCDF4")

ROOT = Path(__file__).resolve().parents[2]
JSON_ATTRS = "tessera_json_attrs"


@pytest.fixture(scope="session")
def dump(tmp_path_factory) -> Path:
    for env, sub in (("TESSERA_NETCDF_OUT", ""), ("TESSERA_INTEROP_OUT", "netcdf")):
        if os.environ.get(env) and (Path(os.environ[env]) / sub).is_dir():
            return Path(os.environ[env]) / sub
    out = tmp_path_factory.mktemp("netcdf")
    features = os.environ.get("TESSERA_NETCDF_FEATURES", "netcdf4,hdf5")
    cmd = ["cargo", "run", "-q", "-p", "tessera-netcdf", "--example", "dump"]
    cmd += ["--features", features] if features else []
    subprocess.run([*cmd, "--", str(out)], cwd=ROOT, check=True)
    return out


def need(dump: Path, name: str) -> Path:
    p = dump / name
    if not p.exists():
        pytest.skip(f"{name}: its format is not compiled into the dumper")
    return p


# --- the sources, as xarray builds them --------------------------------------------------


def demo() -> "xr.Dataset":
    """Tiled's demo `structured_data/xarray_dataset` with the values of fixtures.rs."""
    k = np.arange(12.0)
    return xr.Dataset(
        {"temperature": (["x", "y", "time"], (15 + 0.5 * k).reshape(2, 2, 3)),
         "precipitation": (["x", "y", "time"], (10 - 0.25 * k).reshape(2, 2, 3))},
        coords={"lon": (["x", "y"], [[-99.83, -99.32], [-99.79, -99.23]]),
                "lat": (["x", "y"], [[42.25, 42.21], [42.63, 42.59]]),
                "time": np.datetime64("2014-09-06", "ns") + np.arange(3) * np.timedelta64(1, "D")})


PLAIN = {
    "bool": np.array([True, False, True]),
    "int8": np.array([-128, 0, 127], "i1"),
    "int16": np.array([-32768, 0, 32767], "i2"),
    "int32": np.array([-2**31, 0, 2**31 - 1], "i4"),
    "int64": np.array([-5, 0, 2**31 - 1], "i8"),
    "uint8": np.array([0, 200, 255], "u1"),
    "uint16": np.array([0, 40000, 65535], "u2"),
    "uint32": np.array([0, 4_000_000_000, 1], "u4"),
    "uint64": np.array([0, 4_000_000_000, 1], "u8"),
    "float16": np.array([0.5, np.nan, 65504], "f2"),
    "float32": np.array([0.1, np.inf, -0.0], "f4"),
    "float64": np.array([0.1, np.nan, -np.inf], "f8"),
    "datetime": np.array([1577836800, 1577836801, 1577840400], "M8[s]"),
    "timedelta": np.array([1000, 0, -3000], "m8[ms]"),
    "unicode": np.array(["a", "é名🙂", ""], "U3"),
    "bytes": np.array([b"ab", b"", b"xyz"], "S3"),
}


def every() -> "xr.Dataset":
    """fixtures.rs `every_dtype_dataset`, with the attributes as stored: booleans as int8 in
    NetCDF (xarray writes them so too), the nested map as JSON text, listed."""
    return xr.Dataset({k: ("n", v) for k, v in PLAIN.items()}, attrs={
        "title": "every dtype", "count": 3, "ratio": 0.25, "flag": 1, "sizes": [1, 2, 3],
        "nested": '{"a":[1,{"b":null}]}', "é名": "unicode", JSON_ATTRS: '["nested"]'})


def d1(d: dict) -> "xr.Dataset":
    return xr.Dataset({"a": (("time", "x"), d["a"]), "b": (("time", "x"), d["b"])},
                      coords={"time": ("time", d["time"], {"units": "seconds since 2020-01-01 00:00:00"})})


def scipy_names(ds: "xr.Dataset") -> "xr.Dataset":
    """scipy decodes NetCDF names as latin-1; the file holds UTF-8 (netCDF4 reads it right)."""
    fix = lambda s: s.encode("latin-1").decode("utf-8")  # noqa: E731
    ds = ds.rename({k: fix(k) for k in ds.variables if fix(k) != k})
    ds.attrs = {fix(k): v for k, v in ds.attrs.items()}
    return ds


def open_ds(path: Path, engine: str, **kw) -> "xr.Dataset":
    with xr.open_dataset(path, engine=engine, **kw) as ds:
        return ds.load()


# --- NetCDF-3 -----------------------------------------------------------------------------


def test_netcdf3_is_64bit_offset_and_identical_through_scipy(dump):
    for name, src in (("demo_dataset", demo()), ("every_dtype", every())):
        path = need(dump, f"{name}.nc")
        assert path.read_bytes()[:4] == b"CDF\x02"
        xr.testing.assert_identical(scipy_names(open_ds(path, "scipy")), src)
        # netCDF-C reads the same file (and decodes names as UTF-8).
        xr.testing.assert_identical(open_ds(path, "netcdf4"), src)


def test_netcdf3_types_follow_xarray(dump):
    """What NetCDF-3 lacks is stored as xarray stores it: int8+dtype for bool, the signed type
    with `_Unsigned` for unsigned ints, int32 for int64, float32 for float16, CF time units,
    UTF-8 char arrays with a `string<N>` dimension."""
    with netCDF4.Dataset(need(dump, "every_dtype.nc")) as f:
        assert f.data_model == "NETCDF3_64BIT_OFFSET"
        v = f.variables
        f.set_auto_maskandscale(False)
        assert v["bool"].dtype == np.int8 and v["bool"].getncattr("dtype") == "bool"
        assert v["uint8"].dtype == np.int8 and v["uint8"].getncattr("_Unsigned") == "true"
        assert v["int64"].dtype == np.int32 and v["float16"].dtype == np.float32
        assert v["datetime"].units == "seconds since 2020-01-01 00:00:00"
        assert v["datetime"].calendar == "proleptic_gregorian"
        assert v["unicode"].dimensions == ("n", "string9") and v["unicode"]._Encoding == "utf-8"


def test_netcdf3_golden_file_is_the_demo_dataset():
    path = ROOT / "encoders/netcdf/tests/golden/demo_dataset.nc"
    xr.testing.assert_identical(open_ds(path, "scipy"), demo())


# --- D1 / D1s through every dataset format ------------------------------------------------

ENGINES = {"nc": ["scipy", "netcdf4"], "nc4": ["netcdf4", "h5netcdf"], "h5": ["h5netcdf"]}


@pytest.mark.parametrize("ext", sorted(ENGINES))
def test_d1_round_trips(dump, ext):
    path = need(dump, f"d1.{ext}")
    for engine in ENGINES[ext]:
        got = open_ds(path, engine, decode_times=False)
        xr.testing.assert_identical(got, d1(expected.d1()))
        # Decoded, `time` becomes datetimes from the CF units, as for xarray's own files.
        assert open_ds(path, engine)["time"].values[1] == np.datetime64("2020-01-01T00:00:01", "ns")


@pytest.mark.parametrize("names,engines", [
    (("application/x-netcdf", "nc"), ["scipy", "netcdf4"]),
    (("application/x-netcdf4", "nc4"), ["netcdf4", "h5netcdf"]),
    (("application/x-hdf5", "h5"), ["h5netcdf"]),
])
def test_d1s_from_the_registry(outputs, names, engines):
    path = outputs.path("xarray_dataset", names, "D1s")
    for engine in engines:
        xr.testing.assert_identical(open_ds(path, engine, decode_times=False), d1(expected.d1s()))


# --- NetCDF-4 -----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["netcdf4", "h5netcdf"])
def test_netcdf4_identical(dump, engine):
    for name, src in (("demo_dataset", demo()), ("every_dtype", every())):
        path = need(dump, f"{name}.nc4")
        xr.testing.assert_identical(open_ds(path, engine), src)
    with netCDF4.Dataset(need(dump, "every_dtype.nc4")) as f:
        assert f.data_model == "NETCDF4"
        assert f.variables["uint64"].dtype == np.uint64 and f.variables["int64"].dtype == np.int64
        assert f.variables["unicode"].dtype is str


# --- HDF5: datasets -----------------------------------------------------------------------


def test_hdf5_dataset_identical_through_h5netcdf(dump):
    for name, src in (("demo_dataset", demo()), ("every_dtype", every())):
        path = need(dump, f"{name}.h5")
        got = open_ds(path, "h5netcdf")
        if name == "every_dtype":
            # HDF5 keeps booleans (h5py's enum), so the attribute stays True.
            src = src.assign_attrs(flag=True)
        xr.testing.assert_identical(got, src)


# --- HDF5: the container tree (h5py) ------------------------------------------------------


def attrs(obj) -> dict:
    return {k: obj.attrs[k] for k in obj.attrs}


def test_hdf5_tree_layout(dump):
    with h5py.File(need(dump, "demo_tree.h5"), "r") as f:
        # Containers are groups (creation order kept), metadata are attributes.
        assert list(f) == ["scalars", "nested", "dtypes", "structured_data", "tables", "meta"]
        assert attrs(f) == {"title": "demo", "version": 2}
        assert isinstance(f["nested"], h5py.Group) and attrs(f["nested"]) == {"animal": "cat", "color": "green"}
        assert f["scalars/pi"][()] == np.pi and f["scalars/fortytwo"][()] == 42
        assert f["scalars/fsc"].asstr()[()] == "1/137"
        assert list(f["scalars/e_arr"].asstr()[...]) == ["2.71828"]
        img = f["nested/tiny_image"]
        np.testing.assert_array_equal(img[...], np.sin(np.arange(2500.0)).reshape(50, 50))
        assert img.attrs["units"] == "counts" and list(img.attrs["tags"]) == ["a", "b"]
        assert list(img.attrs["shape"]) == [50, 50]
        z = f["nested/complex"][...]
        assert z.dtype == np.complex128 and z[1, 2] == 5 - 5j


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_hdf5_tree_every_dtype_reads_back_equal(dump, name):
    want = PLAIN[name]
    with h5py.File(need(dump, "demo_tree.h5"), "r") as f:
        d = f[f"dtypes/{name}"]
        assert d.attrs["dtype"] == name
        got = d.asstr()[...] if want.dtype.kind == "U" else d[...]
        if want.dtype.kind == "U":
            assert list(got) == list(want)
        else:
            expected.assert_exact(got, want, name)


def test_hdf5_tree_records_dataset_and_table(dump):
    with h5py.File(need(dump, "demo_tree.h5"), "r") as f:
        pets = f["structured_data/pets"][...]
        assert pets.dtype.names == ("name", "age", "weight")
        assert [p.decode() for p in pets["name"]] == ["Rex", "Fido"]
        assert list(pets["age"]) == [9, 3] and list(pets["weight"]) == [81.0, 27.0]
        # The xarray dataset is a group with dimension scales: xarray opens it in place.
        assert attrs(f["structured_data/xarray_dataset"]) == {}
        table = f["tables/short_table"]
        assert attrs(table) == {"animal": "dog", "color": "red"}
        # One 1-D dataset per column, holding that column only (not Tiled 0.2.20's bug of
        # the whole table in each).
        assert list(table) == ["A", "B", "C", "D", "E"]
        assert all(table[c].shape == (5,) for c in table)
        assert list(table["A"][...]) == [0, 1, 2, 3, 4] and table["A"].dtype == np.uint8
        assert list(table["C"].asstr()[...]) == ["HÉ" * i for i in range(5)]
        assert table["D"][...][1] == np.datetime64("2025-01-02T00:00:00", "s")
        assert list(table["E"][...]) == [True, False, True, False, True]
        meta = f["meta"]
        assert json.loads(meta.attrs[JSON_ATTRS]) == ["nested", "mixed", "none", "empty"]
        assert json.loads(meta.attrs["nested"]) == {"a": {"b": [1, 2]}}
        assert json.loads(meta.attrs["mixed"]) == [1, "two"] and json.loads(meta.attrs["none"]) is None
        assert list(meta.attrs["flags"]) == [True, False] and meta.attrs["big"] == 2**64 - 1
    group = open_ds(need(dump, "demo_tree.h5"), "h5netcdf", group="structured_data/xarray_dataset",
                    phony_dims="sort")
    xr.testing.assert_identical(group, demo())


def test_hdf5_table_and_array_at_the_root(dump):
    with h5py.File(need(dump, "short_table.h5"), "r") as f:
        assert list(f) == ["A", "B", "C", "D", "E"]
        np.testing.assert_array_equal(f["B"][...], np.arange(5) / 4)
    with h5py.File(need(dump, "pets.h5"), "r") as f:
        assert list(f) == ["data"] and f["data"].shape == (2,)


# --- HDF5 of the registry inputs (zoo arrays, T2 and E1 tables) ---------------------------


@pytest.mark.parametrize("name", sorted(expected.arrays()))
def test_hdf5_arrays_read_back_exactly(outputs, name):
    want = expected.arrays()[name]
    with h5py.File(outputs.path("array", ("application/x-hdf5", "h5"), name), "r") as f:
        d = f["data"]
        if want.dtype.kind == "U":
            assert d.shape == want.shape and list(d.asstr()[...]) == list(want)
        elif want.dtype.kind == "V":
            got = d[...]
            assert got.dtype.names == want.dtype.names and got.shape == want.shape
            for field in want.dtype.names:
                expected.assert_exact(got[field], want[field], f"{name}.{field}")
        else:
            expected.assert_exact(d[...], want, name)


def test_hdf5_tables(outputs):
    t2 = expected.t2()
    with h5py.File(outputs.path("table", ("application/x-hdf5", "h5"), "T2"), "r") as f:
        assert list(f) == expected.TABLE_COLUMNS
        for c in ["id", "sin", "flag", "ts", "half"]:
            expected.assert_exact(f[c][...], t2[c], f"T2.{c}")
        assert list(f["name"].asstr()[:3]) == list(t2["name"][:3])
    e1 = expected.E1
    with h5py.File(outputs.path("table", ("application/x-hdf5", "h5"), "E1"), "r") as f:
        assert list(f) == list(e1)
        # Nulls: integer and boolean columns with nulls become float64 with NaN (pandas'
        # rule), floats NaN, strings "", timestamps NaT.
        i = f["i"][...]
        assert i.dtype == np.float64 and np.isnan(i[2]) and i[3] == 2.0**53
        assert list(f["big"][...]) == e1["big"]
        assert np.isnan(f["x"][...][4]) and f["x"][...][2] == 5e-324
        assert list(f["s ✓"].asstr()[...]) == [s or "" for s in e1["s ✓"]]
        b = f["b"][...]
        assert b.dtype == np.float64 and np.isnan(b[2]) and list(b[[0, 1]]) == [1.0, 0.0]
        t = f["t"][...]
        assert t.dtype == np.dtype("M8[us]") and np.isnat(t[2]) and t[1] == np.datetime64("2020-01-01T00:00:00.123456")
