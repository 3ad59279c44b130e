//! PNG and TIFF encoding of the shared array workloads (`../shared/bench/peer-encoders.md`).
//!
//! Peers on the reference machine: Pillow writes A1 as 16-bit PNG in ~0.35 s at zlib level 6
//! (adaptive filters, 165 KB) and ~0.28 s at level 1 (377 KB), A3 in ~0.004 s (32 KB);
//! tifffile writes A1 uncompressed in ~0.026 s, A2 in ~0.20 s and A1 with zlib in ~0.87 s.
//! Cases: the PNG default (zlib level 1, `up` filter), level 6 with the default filter and
//! with Pillow's adaptive one, Tiled's percentile scaling of a float array (A2s), and TIFF
//! uncompressed (the default) and deflate. Each case prints its output size.
//!
//! Run: `cargo bench -p tessera-benches --bench image`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::{ArrayEncoder, NdArray, Params};
use tessera_image::{PngEncoder, TiffEncoder};
use tessera_testkit::workloads;

/// One benchmark: `encode/<format>/<case>`.
struct BenchDef {
    format: &'static str,
    case: &'static str,
    /// Workload name and generator.
    data: (&'static str, fn() -> NdArray),
    encoder: &'static dyn ArrayEncoder,
    params: &'static [(&'static str, &'static str)],
}

/// Grouped by workload: each workload is generated once for its consecutive cases.
const BENCHES: &[BenchDef] = &[
    BenchDef { format: "png", case: "a1", data: ("a1", workloads::a1), encoder: &PngEncoder, params: &[] },
    BenchDef {
        format: "png",
        case: "a1_level6",
        data: ("a1", workloads::a1),
        encoder: &PngEncoder,
        params: &[("compression", "default")],
    },
    BenchDef {
        format: "png",
        case: "a1_level6_adaptive",
        data: ("a1", workloads::a1),
        encoder: &PngEncoder,
        params: &[("compression", "default"), ("filter", "adaptive")],
    },
    BenchDef { format: "tiff", case: "a1", data: ("a1", workloads::a1), encoder: &TiffEncoder, params: &[] },
    BenchDef {
        format: "tiff",
        case: "a1_deflate",
        data: ("a1", workloads::a1),
        encoder: &TiffEncoder,
        params: &[("compression", "deflate")],
    },
    BenchDef { format: "png", case: "a3", data: ("a3", workloads::a3), encoder: &PngEncoder, params: &[] },
    BenchDef {
        format: "png",
        case: "a3_level6",
        data: ("a3", workloads::a3),
        encoder: &PngEncoder,
        params: &[("compression", "default")],
    },
    BenchDef {
        format: "png",
        case: "a3_level6_adaptive",
        data: ("a3", workloads::a3),
        encoder: &PngEncoder,
        params: &[("compression", "default"), ("filter", "adaptive")],
    },
    BenchDef {
        format: "png",
        case: "a2s_scaled",
        data: ("a2s", workloads::a2s),
        encoder: &PngEncoder,
        params: &[],
    },
    BenchDef { format: "tiff", case: "a2", data: ("a2", workloads::a2), encoder: &TiffEncoder, params: &[] },
];

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let mut group = c.benchmark_group("encode");
    group.sample_size(10);
    let mut cached: Option<(&str, NdArray)> = None;
    for def in BENCHES {
        let array = match &cached {
            Some((name, a)) if *name == def.data.0 => a.clone(),
            _ => {
                let a = (def.data.1)();
                cached = Some((def.data.0, a.clone()));
                a
            }
        };
        let params = def.params.iter().fold(Params::new(), |p, (k, v)| p.with(k, v));
        group.throughput(Throughput::Bytes(array.as_bytes().len() as u64));
        let mut size = 0;
        group.bench_function(format!("{}/{}", def.format, def.case), |b| {
            b.iter(|| {
                let mut out = Vec::new();
                def.encoder.encode(&array, &params, &mut out).expect("workloads encode");
                size = out.len();
                out
            })
        });
        eprintln!("encode/{}/{}: {size} bytes", def.format, def.case);
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
