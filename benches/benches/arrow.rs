//! Arrow IPC file and stream encoding of the shared table workload T1
//! (`../shared/bench/peer-encoders.md`): 1,000,000 rows in batches of 65,536.
//!
//! Peers on the reference machine, into a growing in-memory sink: pyarrow `ipc.new_file`
//! ~0.014 s (0.010 s in the repeat run), `ipc.new_stream` ~0.010 s; with lz4 ~0.027 s,
//! zstd ~0.048 s; polars `write_ipc` ~0.038 s. The target for the file is within 1.2× of
//! pyarrow. Each iteration encodes into a fresh `Vec` without a size hint (like `BytesIO`),
//! through the registered encoder (the server's path: `&mut dyn Write`), with the allocator
//! settings the server runs with ([`tessera_core::memory::retain_freed_memory`]): freed memory
//! is reused, as pyarrow's memory pool reuses it. Under glibc's defaults every fresh 40 MB
//! buffer is mapped anew and faulted in page by page, which took two thirds of the time
//! (0.031 s against 0.0062 s into a warm sink, on a quiet machine).
//!
//! Two reference rows put the figures in context. `ceiling/growing_vec/t1` copies T1's
//! Arrow buffers (the same ~40 MB, in the same pieces) into a fresh `Vec` without a size
//! hint: the floor of any IPC writer into that sink. And `encode/arrow-file/t1_warm_sink`
//! encodes into a `Vec` reused across iterations: the encoder's own cost.
//!
//! Run: `cargo bench -p tessera-benches --bench arrow`.

use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_arrow::{ArrowFileEncoder, ArrowStreamEncoder};
use tessera_core::{Params, Table, TableEncoder};
use tessera_testkit::workloads;

/// One benchmark: `encode/<format>/<case>`.
struct BenchDef {
    format: &'static str,
    case: &'static str,
    encoder: &'static dyn TableEncoder,
    params: &'static [(&'static str, &'static str)],
}

const BENCHES: &[BenchDef] = &[
    BenchDef { format: "arrow-file", case: "t1", encoder: &ArrowFileEncoder, params: &[] },
    BenchDef { format: "arrow-stream", case: "t1", encoder: &ArrowStreamEncoder, params: &[] },
    BenchDef {
        format: "arrow-file",
        case: "t1_lz4",
        encoder: &ArrowFileEncoder,
        params: &[("compression", "lz4")],
    },
    BenchDef {
        format: "arrow-file",
        case: "t1_zstd",
        encoder: &ArrowFileEncoder,
        params: &[("compression", "zstd")],
    },
];

fn encode(def: &BenchDef, table: &Table, params: &Params) -> Vec<u8> {
    let mut out = Vec::new();
    def.encoder.encode(&mut table.stream(), params, &mut out).expect("T1 encodes");
    out
}

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let t1 = workloads::t1();
    let input = Throughput::Bytes(workloads::table_input_bytes(workloads::T1_ROWS));
    let mut g = c.benchmark_group("encode");
    g.sample_size(10);
    g.throughput(input.clone());
    for def in BENCHES {
        let params = def.params.iter().fold(Params::new(), |p, (k, v)| p.with(k, v));
        let size = encode(def, &t1, &params).len();
        eprintln!("encode/{}/{}: {size} bytes", def.format, def.case);
        g.bench_function(format!("{}/{}", def.format, def.case), |b| {
            b.iter_with_large_drop(|| encode(def, &t1, &params))
        });
    }
    let mut sink = Vec::new();
    g.bench_function("arrow-file/t1_warm_sink", |b| {
        b.iter(|| {
            sink.clear();
            ArrowFileEncoder.encode(&mut t1.stream(), &Params::new(), &mut sink).expect("T1 encodes");
            sink.len()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("ceiling");
    g.sample_size(10);
    g.throughput(input);
    g.bench_function("growing_vec/t1", |b| {
        b.iter_with_large_drop(|| {
            let mut out = Vec::new();
            for batch in t1.stream() {
                for col in batch.expect("in-memory batches").columns() {
                    for buf in col.to_data().buffers() {
                        out.write_all(buf.as_slice()).expect("a Vec takes every write");
                    }
                }
            }
            out
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
