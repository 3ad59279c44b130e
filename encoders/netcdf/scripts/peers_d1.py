"""Times the Python peers of tessera-netcdf on workload D1, the way ../shared/bench/peers.py
does (the encoder call only, input already built, one warm-up then the median of N runs,
output checked once), including xarray's scipy engine (NetCDF-3), which the shared table
lacks.

Run it back to back with the Rust bench, on a quiet machine:

    python encoders/netcdf/scripts/peers_d1.py [--runs 5]
    cargo bench -p tessera-benches --features netcdf4,hdf5 --bench netcdf

Needs numpy, xarray, scipy, netCDF4, h5py (the pins of tests/interop/requirements.txt).
"""
from __future__ import annotations

import argparse
import gc
import io
import os
import statistics
import tempfile
import time

import numpy as np


def d1() -> dict:
    k = np.arange(1000 * 1000, dtype=np.int64).astype(np.float64)
    return {"a": np.sin(k).reshape(1000, 1000), "b": (k * 0.5).reshape(1000, 1000),
            "time": np.arange(1000, dtype=np.int64)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()

    import h5py
    import netCDF4
    import xarray as xr

    d = d1()
    ds = xr.Dataset({"a": (("time", "x"), d["a"]), "b": (("time", "x"), d["b"])},
                    coords={"time": ("time", d["time"], {"units": "seconds since 2020-01-01 00:00:00"})})
    in_bytes = sum(v.nbytes for v in d.values())
    tmp = tempfile.mkdtemp(prefix="peers-d1-")

    def netcdf4_direct(path):
        with netCDF4.Dataset(path, "w", format="NETCDF4") as nc:
            nc.createDimension("time", 1000)
            nc.createDimension("x", 1000)
            t = nc.createVariable("time", "i8", ("time",))
            t.units = "seconds since 2020-01-01 00:00:00"
            t[:] = d["time"]
            for v in ("a", "b"):
                nc.createVariable(v, "f8", ("time", "x"))[:] = d[v]

    def h5py_direct(path):
        with h5py.File(path, "w") as f:
            for v in ("a", "b", "time"):
                f.create_dataset(v, data=d[v])

    cases = [
        ("netcdf3", "xarray scipy: to_netcdf() -> bytes", "mem", lambda p: ds.to_netcdf(engine="scipy")),
        ("netcdf3", "xarray scipy: to_netcdf(path)", "file", lambda p: ds.to_netcdf(p, engine="scipy")),
        ("netcdf4", "netCDF4: Dataset direct", "file", netcdf4_direct),
        ("netcdf4", "xarray netcdf4: to_netcdf(path)", "file", lambda p: ds.to_netcdf(p, engine="netcdf4")),
        ("hdf5", "h5py: create_dataset x3", "file", h5py_direct),
    ]
    print(f"D1, {in_bytes:,} input bytes, median of {args.runs} runs after a warm-up")
    for fmt, what, sink, fn in cases:
        path = os.path.join(tmp, "out")
        times = []
        for i in range(args.runs + 1):
            if os.path.exists(path):
                os.unlink(path)
            gc.collect()
            t0 = time.perf_counter()
            out = fn(path if sink == "file" else None)
            t = time.perf_counter() - t0
            if i == 0:
                data = out if sink == "mem" else open(path, "rb").read()
                got = xr.open_dataset(io.BytesIO(bytes(data)) if fmt == "netcdf3" else path,
                                      decode_times=False)
                assert np.array_equal(got["a"].values, d["a"]) and np.array_equal(got["time"].values, d["time"])
                got.close()
            else:
                times.append(t)
        med = statistics.median(times)
        print(f"{fmt:8} {what:40} {sink:4} {med:.4f} s  {in_bytes / med / 1e6:8.0f} MB/s")
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
