//! Iceberg export of the shared table workload T1 (`../shared/bench/peer-encoders.md`):
//! 1,000,000 rows in batches of 65,536, into a SQLite catalog with a local warehouse — the
//! whole export: Parquet data files (zstd), manifest, manifest list, metadata, commit.
//!
//! The peer is pyiceberg's `SqlCatalog` doing the same: `create_table` + `append` of the
//! pyarrow table (new table), and `append` to an existing table; measured by
//! `encoders/iceberg/bench/pyiceberg_t1.py` (run it right after this bench, same machine).
//! Target: faster than pyiceberg.
//!
//! Cases: `encode/iceberg/t1_create` (a new table per iteration), `encode/iceberg/t1_append`
//! (one more snapshot on the same table per iteration), `encode/iceberg/t1_replace`, and
//! `encode/iceberg/t1_create_2writers` (two data files written in parallel). Throughput is
//! T1's input bytes. On a busy machine wall times are noise: compare CPU time too
//! (`iceberg_export --workload t1 --repeat N` under `/usr/bin/time`, see the script).
//!
//! Run: `cargo bench -p tessera-benches --features iceberg --bench iceberg`.

use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_iceberg::{CatalogConfig, IcebergExporter, IcebergOptions, IfExists};
use tessera_testkit::workloads;

fn iceberg(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let t1 = workloads::t1();
    let dir = std::env::temp_dir().join(format!("tessera-iceberg-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let root = dir.to_str().expect("utf-8 temp dir");
    let config = CatalogConfig::sql(&format!("sqlite:///{root}/catalog.db"), &format!("{root}/wh"))
        .expect("catalog config");
    let exporter = IcebergExporter::open(&config).expect("open catalog");
    let mut g = c.benchmark_group("encode/iceberg");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(workloads::table_input_bytes(workloads::T1_ROWS)));

    let n = AtomicUsize::new(0);
    g.bench_function("t1_create", |b| {
        b.iter(|| {
            let name = format!("bench.create_{}", n.fetch_add(1, Ordering::Relaxed));
            exporter.export(Box::new(t1.stream()), &name, &IcebergOptions::default()).expect("export")
        })
    });
    let two = IcebergOptions::default().with_writers(2);
    g.bench_function("t1_create_2writers", |b| {
        b.iter(|| {
            let name = format!("bench.create_{}", n.fetch_add(1, Ordering::Relaxed));
            exporter.export(Box::new(t1.stream()), &name, &two).expect("export")
        })
    });
    let append = IcebergOptions::default().with_if_exists(IfExists::Append);
    g.bench_function("t1_append", |b| {
        b.iter(|| exporter.export(Box::new(t1.stream()), "bench.append", &append).expect("export"))
    });
    let replace = IcebergOptions::default().with_if_exists(IfExists::Replace);
    g.bench_function("t1_replace", |b| {
        b.iter(|| exporter.export(Box::new(t1.stream()), "bench.replace", &replace).expect("export"))
    });
    g.finish();
    drop(exporter);
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, iceberg);
criterion_main!(benches);
