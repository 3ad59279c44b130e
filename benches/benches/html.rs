//! HTML encoding of the shared table workload T2 (`../shared/bench/peer-encoders.md`):
//! 100,000 rows × 6 columns.
//!
//! Peer on the reference machine: pandas `to_html(index=False)` ~4.2 s (3.2 s in the repeat
//! run). Target: ≥ 20× faster, i.e. < 0.21 s. The bench raises `max_rows` to 100,000 so
//! every row is written (the default page stops at 10,000), and goes through the registered
//! encoder (the server's path: `&mut dyn Write`) into a fresh `Vec` without a size hint
//! (like `BytesIO`).
//!
//! Run: `cargo bench -p tessera-benches --bench html`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::{Params, Table, TableEncoder};
use tessera_html::HtmlEncoder;
use tessera_testkit::workloads;

fn encode(t: &Table, params: &Params) -> Vec<u8> {
    let mut out = Vec::new();
    HtmlEncoder.encode(&mut t.stream(), params, &mut out).expect("T2 encodes");
    out
}

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let t2 = workloads::t2();
    let params = Params::new().with("max_rows", &workloads::T2_ROWS.to_string());
    let mut g = c.benchmark_group("encode");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(workloads::table_input_bytes(workloads::T2_ROWS)));
    eprintln!("encode/html/t2: {} bytes", encode(&t2, &params).len());
    g.bench_function("html/t2", |b| b.iter_with_large_drop(|| encode(&t2, &params)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
