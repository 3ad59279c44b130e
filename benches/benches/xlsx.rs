//! XLSX encoding of the shared table workload T2 (`../shared/bench/peer-encoders.md`):
//! 100,000 rows × 6 columns (600,000 cells).
//!
//! Peers on the reference machine: xlsxwriter in constant-memory mode ~4.6 s (rows already
//! Python objects, into a file), polars `write_excel` ~6.9 s, pandas+xlsxwriter ~9.6 s.
//! Target: ≥ 10× faster than xlsxwriter constant_memory, i.e. < 0.46 s. `t2` goes through the
//! registered encoder (the server's path: `&mut dyn Write`, default deflate level 3: 4.65 MB,
//! the size of xlsxwriter's file); `t2_level1` (7.4 MB) and `t2_level6` (4.60 MB, zlib's
//! default, xlsxwriter's level) through the typed writer. Deflate is most of the time. Each
//! iteration encodes into a fresh `Vec` without a size hint (like `BytesIO`).
//!
//! Run: `cargo bench -p tessera-benches --bench xlsx`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::{Params, Table, TableEncoder};
use tessera_testkit::workloads;
use tessera_xlsx::{XlsxEncoder, XlsxOptions};

/// One benchmark: `encode/xlsx/<case>`; `level: None` is the registered encoder.
struct BenchDef {
    case: &'static str,
    level: Option<u8>,
}

fn encode(t: &Table, level: Option<u8>) -> Vec<u8> {
    let Some(level) = level else {
        let mut out = Vec::new();
        XlsxEncoder.encode(&mut t.stream(), &Params::new(), &mut out).expect("T2 encodes");
        return out;
    };
    let mut w =
        XlsxOptions::default().with_compression_level(level).build(Vec::new(), t.schema()).expect("valid");
    for b in t.stream() {
        w.write(&b.expect("in memory")).expect("T2 encodes");
    }
    w.finish().expect("T2 encodes")
}

const BENCHES: &[BenchDef] = &[
    BenchDef { case: "t2", level: None },
    BenchDef { case: "t2_level1", level: Some(1) },
    BenchDef { case: "t2_level6", level: Some(6) },
];

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let t2 = workloads::t2();
    let mut g = c.benchmark_group("encode");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(workloads::table_input_bytes(workloads::T2_ROWS)));
    for def in BENCHES {
        eprintln!("encode/xlsx/{}: {} bytes", def.case, encode(&t2, def.level).len());
        g.bench_function(format!("xlsx/{}", def.case), |b| b.iter_with_large_drop(|| encode(&t2, def.level)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
