"""pyiceberg's side of `cargo bench -p tessera-benches --features iceberg --bench iceberg`:
T1 (../shared/bench/peer-encoders.md) written through pyiceberg's SqlCatalog (SQLite, local
warehouse), the input already a pyarrow table. Cases as in the Rust bench:

- create:  catalog.create_table(name, schema) + table.append(t1)
- append:  table.append(t1) on an existing table
- replace: table.overwrite(t1) (pyiceberg's in-place replacement of the contents)

One warm-up, then the median of N runs (default 5), wall time and the process's CPU time
(all threads; compare it with `iceberg_export --repeat` under `/usr/bin/time` when the
machine is busy and wall times are noise). Needs pyiceberg[sql-sqlite]==0.12.0 and
pyarrow==26.0.1.

    python encoders/iceberg/bench/pyiceberg_t1.py [--runs N]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from pyiceberg.catalog.sql import SqlCatalog

N = 1_000_000


def t1() -> pa.Table:
    i = np.arange(N, dtype=np.int64)
    return pa.table({
        "id": pa.array(i),
        "sin": pa.array(np.sin(i.astype(np.float64))),
        "name": pa.array([f"name-{k % 1000}" for k in range(N)], pa.string()),
        "flag": pa.array(i % 3 == 0),
        "ts": pa.array(1_577_836_800_000_000 + i * 1_000_000, pa.timestamp("us")),
        "half": pa.array((i.astype(np.float64) * 0.5).astype(np.float32)),
    })


def input_bytes(t: pa.Table) -> int:
    names = sum(len(s) for s in t["name"].to_pylist())
    return N * (8 + 8 + 1 + 8 + 4) + names


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    data = t1()
    nbytes = input_bytes(data)
    root = Path(tempfile.mkdtemp(prefix="pyiceberg-bench-"))
    try:
        cat = SqlCatalog("pixeltable", uri=f"sqlite:///{root}/catalog.db", warehouse=f"file://{root}/wh")
        cat.create_namespace("bench")
        counter = iter(range(10**6))

        def create():
            tbl = cat.create_table(f"bench.create_{next(counter)}", schema=data.schema)
            tbl.append(data)

        appended = cat.create_table("bench.append", schema=data.schema)
        replaced = cat.create_table("bench.replace", schema=data.schema)
        cases = {"t1_create": create, "t1_append": lambda: appended.append(data),
                 "t1_replace": lambda: replaced.overwrite(data)}
        for name, fn in cases.items():
            fn()  # warm-up
            times, cpu = [], []
            for _ in range(args.runs):
                start, cstart = time.perf_counter(), time.process_time()
                fn()
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - cstart)
            med = statistics.median(times)
            print(f"pyiceberg {name}: median {med:.3f} s over {args.runs} runs "
                  f"({nbytes / med / 1e6:.0f} MB/s of input), min {min(times):.3f} s; "
                  f"CPU time (all threads) median {statistics.median(cpu):.3f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
