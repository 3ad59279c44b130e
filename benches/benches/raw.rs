//! Raw C-order bytes (`application/octet-stream`) and `.npy` of the shared arrays A1
//! (4096×4096 uint16, 32 MiB) and A2 (4096×4096 float64, 128 MiB), each into a fresh
//! `Vec<u8>` without a size hint — the sink comparable to numpy's `tobytes`/`np.save` into
//! `BytesIO` in `../shared/bench/peers.py`.
//!
//! `ceiling/memcpy_alloc/<case>` copies the same bytes into a fresh `Vec` of the exact size:
//! allocation and page faults included, the floor any encoder into fresh memory pays. The
//! target is `encode/raw/A2` within 1.5× of `ceiling/memcpy_alloc/A2`.
//!
//! Peers on the reference machine: numpy `tobytes` A1 0.0044 s, A2 0.087 s; `np.save` A1
//! 0.0075 s, A2 0.117 s. Compare back to back with `benches/compare.sh raw`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::raw::{NpyEncoder, RawEncoder};
use tessera_core::{ArrayEncoder, NdArray, Params};
use tessera_testkit::workloads;

/// One array encoder under test: `encode/<format>/<case>`.
struct BenchDef {
    format: &'static str,
    encoder: &'static dyn ArrayEncoder,
}

const ENCODERS: &[BenchDef] =
    &[BenchDef { format: "raw", encoder: &RawEncoder }, BenchDef { format: "npy", encoder: &NpyEncoder }];

const CASES: &[(&str, fn() -> NdArray)] = &[("A1", workloads::a1), ("A2", workloads::a2)];

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let params = Params::new();
    for (case, make) in CASES {
        let array = make();
        let bytes = array.as_bytes();
        let mut group = c.benchmark_group("encode");
        group.sample_size(10).throughput(Throughput::Bytes(bytes.len() as u64));
        for def in ENCODERS {
            group.bench_function(format!("{}/{case}", def.format), |b| {
                b.iter(|| {
                    let mut out = Vec::new();
                    def.encoder.encode(&array, &params, &mut out).expect("valid input encodes");
                    black_box(out)
                })
            });
        }
        group.finish();

        let mut group = c.benchmark_group("ceiling");
        group.sample_size(10).throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("memcpy_alloc/{case}"), |b| {
            b.iter(|| black_box(black_box(bytes).to_vec()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
