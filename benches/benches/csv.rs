//! CSV encoding of the shared workloads (`../shared/bench/peer-encoders.md`): the table T1
//! (1,000,000 rows in batches of 65,536) and the float64 arrays A2 (4096×4096) and A2s
//! (1024×1024). Each iteration encodes through the registered encoder (the server's path,
//! `&mut dyn Write`) into a fresh `Vec` without a size hint, as the peers write into
//! `BytesIO`. Throughput is in input bytes (the peers' "in MB/s").
//!
//! Peers on the reference machine (main run, single figures; they move ±20 % between
//! runs): T1 — polars `write_csv` 0.25 s (2 threads), duckdb 0.29 s, pyarrow 0.38 s, pandas
//! 3.2 s; A2 — polars 0.61 s, numpy `savetxt` 9.4 s, pandas 25.5 s; A2s — polars 0.052 s,
//! numpy 0.52 s. Targets: T1 under 0.17 s and A2 under polars, single-threaded.
//!
//! Run: `cargo bench -p tessera-benches --bench csv -- --sample-size 10`, then the peers
//! back to back: `peers.py --only T1/csv,A2/csv,A2s/csv`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::{ArrayEncoder, NdArray, Params, TableEncoder};
use tessera_csv::CsvEncoder;
use tessera_testkit::workloads;

/// The array cases: `encode/csv/<case>`.
const ARRAYS: &[(&str, fn() -> NdArray)] = &[("A2s", workloads::a2s), ("A2", workloads::a2)];

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let params = Params::new();
    let mut g = c.benchmark_group("encode/csv");
    g.sample_size(10);

    let t1 = workloads::t1();
    g.throughput(Throughput::Bytes(workloads::table_input_bytes(workloads::T1_ROWS)));
    g.bench_function("T1", |b| {
        b.iter(|| {
            let mut out = Vec::new();
            TableEncoder::encode(&CsvEncoder, &mut t1.stream(), &params, &mut out).expect("T1 encodes");
            black_box(out)
        })
    });
    drop(t1);

    for (case, make) in ARRAYS {
        let array = make();
        g.throughput(Throughput::Bytes(array.as_bytes().len() as u64));
        g.bench_function(*case, |b| {
            b.iter(|| {
                let mut out = Vec::new();
                ArrayEncoder::encode(&CsvEncoder, &array, &params, &mut out).expect("array encodes");
                black_box(out)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
