//! JSON encoding of the shared table workload T1 (`../shared/bench/peer-encoders.md`):
//! 1,000,000 rows in batches of 65,536, as `application/json` (an object of columns),
//! `application/json-seq` and NDJSON. Each iteration encodes through the registered
//! encoder (the server's path, `&mut dyn Write`) into a fresh `Vec` without a size hint,
//! as the peers write into `BytesIO`. Throughput is in input bytes.
//!
//! Peers on the reference machine (main run): NDJSON — polars `write_ndjson` 0.31 s
//! (2 threads), duckdb 0.36 s, pandas 1.9 s (floats rounded to 10 digits); row-oriented
//! JSON — polars `write_json` 0.49 s (1 thread), pandas 1.6 s. The target is NDJSON under
//! polars, single-threaded.
//!
//! Run: `cargo bench -p tessera-benches --bench json -- --sample-size 10`, then the peers
//! back to back: `peers.py --only T1/ndjson,T1/json`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::{Params, TableEncoder};
use tessera_json::{JsonEncoder, JsonSeqEncoder, NdjsonEncoder};
use tessera_testkit::workloads;

/// The encoders under test: `encode/<format>/T1`.
const ENCODERS: &[(&str, &dyn TableEncoder)] =
    &[("ndjson", &NdjsonEncoder), ("json-seq", &JsonSeqEncoder), ("json", &JsonEncoder)];

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let params = Params::new();
    let t1 = workloads::t1();
    for (format, encoder) in ENCODERS {
        let mut g = c.benchmark_group(format!("encode/{format}"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes(workloads::table_input_bytes(workloads::T1_ROWS)));
        g.bench_function("T1", |b| {
            b.iter(|| {
                let mut out = Vec::new();
                encoder.encode(&mut t1.stream(), &params, &mut out).expect("T1 encodes");
                black_box(out)
            })
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
