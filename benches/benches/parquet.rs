//! Parquet encoding of the shared table workload T1 (`../shared/bench/peer-encoders.md`):
//! 1,000,000 rows in batches of 65,536.
//!
//! Peers on the reference machine, quiet, into a growing in-memory sink: polars
//! `write_parquet` ~0.041 s with snappy and ~0.076 s with zstd (its default, level 3), both
//! on 2 threads; pyarrow `write_table` ~0.16 s snappy, ~0.22 s zstd level 1 (1 thread);
//! DuckDB ~0.098 s snappy. Targets (issue 3): snappy faster than polars' snappy, zstd
//! faster than polars' default. Each iteration encodes into a fresh `Vec` without a size
//! hint (like `BytesIO`), through the registered encoder (the server's path), whose row
//! groups are encoded on up to 4 threads (2 here), with the server's allocator settings
//! ([`tessera_core::memory::retain_freed_memory`]; polars allocates through jemalloc, which
//! also keeps freed memory). The `opts_*` cases use the typed writer to show what other
//! settings cost, one thread among them; `t1_zstd` is tessera's default (level 1),
//! `t1_zstd_level3` polars' level.
//!
//! `bash benches/compare.sh parquet` (this bench, then the peers, back to back) on a busy
//! machine (peers.py reported 48-71 % other load), medians in seconds, four runs
//! 2026-11-21 19:28-19:48 UTC; the table is the last run, the range all four:
//!
//! | case | tessera | polars | ratio | ratio range |
//! |---|---|---|---|---|
//! | snappy | 0.0349 | 0.0743 | 0.47 | 0.47-0.86 |
//! | zstd (tessera level 1, polars level 3) | 0.0443 | 0.1308 | 0.34 | 0.33-0.67 |
//! | zstd level 3 (both) | 0.0454 | 0.1308 | 0.35 | 0.33-0.51 |
//! | none (against polars snappy) | 0.0339 | 0.0743 | 0.46 | 0.46-1.12 |
//! | snappy, 1 thread | 0.0609 | 0.0743 | 0.82 | 0.60-1.13 |
//! | snappy, plain integers (before) | 0.0436 | 0.0743 | 0.59 | 0.59-1.13 |
//!
//! On the quiet machine last session polars took 0.047 s (snappy) and 0.078 s (zstd) and
//! this encoder 0.089 s and 0.088 s (plain integers, 1,024-value write batches).
//!
//! The noise is large, so compare CPU too: polars used 0.072-0.085 s (snappy) and
//! 0.130-0.134 s (zstd) of CPU per write, as peers.py reports it; tessera on one thread, measured by CPU
//! time, ~0.055 s (snappy) and ~0.072 s (zstd 1 or 3). What got there: integer-like
//! columns that step by small amounts (`id`, `ts`) are written `DELTA_BINARY_PACKED`
//! (`ParquetIntegerEncoding::Auto`): 8 MB each shrinks to a few KB and snappy no longer
//! grinds through them (the `plain_integers` case is the old behaviour); column writers
//! take 8,192 values at a time; columns of mostly distinct values skip the dictionary.
//! What is left (one thread, snappy): the `name` column's dictionary and string
//! statistics ~40 %, delta encoding ~17 %, the rest is the library's per-value level and
//! gather work. Output: 12.2 MB snappy, 10.4 MB zstd (polars: 22.2 MB, 14.2 MB).
//!
//! Run: `cargo bench -p tessera-benches --bench parquet`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::{Params, Table, TableEncoder};
use tessera_parquet::{
    ParquetCompression, ParquetDictionary, ParquetEncoder, ParquetIntegerEncoding, ParquetOptions,
    ParquetStatistics,
};
use tessera_testkit::workloads;

/// One benchmark: `encode/parquet/<case>`, through the encoder with media-type
/// parameters, or through the typed writer with options.
struct BenchDef {
    case: &'static str,
    how: How,
}

enum How {
    Params(&'static [(&'static str, &'static str)]),
    Options(fn() -> ParquetOptions),
}

const BENCHES: &[BenchDef] = &[
    BenchDef { case: "t1_zstd", how: How::Params(&[]) },
    BenchDef { case: "t1_snappy", how: How::Params(&[("compression", "snappy")]) },
    BenchDef { case: "t1_lz4", how: How::Params(&[("compression", "lz4")]) },
    BenchDef { case: "t1_none", how: How::Params(&[("compression", "none")]) },
    BenchDef { case: "t1_zstd_level3", how: How::Params(&[("level", "3")]) },
    BenchDef {
        case: "t1_snappy_opts_plain_integers",
        how: How::Options(|| {
            ParquetOptions::default()
                .with_compression(ParquetCompression::Snappy)
                .with_integer_encoding(ParquetIntegerEncoding::Plain)
        }),
    },
    BenchDef {
        case: "t1_snappy_opts_1_thread",
        how: How::Options(|| {
            ParquetOptions::default().with_compression(ParquetCompression::Snappy).with_threads(1)
        }),
    },
    BenchDef {
        case: "t1_zstd_opts_1_thread",
        how: How::Options(|| ParquetOptions::default().with_threads(1)),
    },
    BenchDef {
        case: "t1_snappy_opts_page_statistics",
        how: How::Options(|| {
            ParquetOptions::default()
                .with_compression(ParquetCompression::Snappy)
                .with_statistics(ParquetStatistics::Page)
        }),
    },
    BenchDef {
        case: "t1_snappy_opts_dictionary_always",
        how: How::Options(|| {
            ParquetOptions::default()
                .with_compression(ParquetCompression::Snappy)
                .with_dictionary(ParquetDictionary::Always)
        }),
    },
    BenchDef {
        case: "t1_snappy_opts_1mi_row_groups",
        how: How::Options(|| {
            ParquetOptions::default()
                .with_compression(ParquetCompression::Snappy)
                .with_max_row_group_rows(1 << 20)
        }),
    },
];

fn encode(how: &How, table: &Table) -> Vec<u8> {
    match how {
        How::Params(p) => {
            let params = p.iter().fold(Params::new(), |acc, (k, v)| acc.with(k, v));
            let mut out = Vec::new();
            ParquetEncoder.encode(&mut table.stream(), &params, &mut out).expect("T1 encodes");
            out
        }
        How::Options(opts) => {
            let mut w = opts().build(Vec::new(), table.schema()).expect("T1's schema is valid");
            for b in table.stream() {
                w.write(&b.expect("in-memory batches")).expect("T1 encodes");
            }
            w.finish().expect("T1 encodes")
        }
    }
}

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let t1 = workloads::t1();
    let mut g = c.benchmark_group("encode/parquet");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(workloads::table_input_bytes(workloads::T1_ROWS)));
    for def in BENCHES {
        eprintln!("encode/parquet/{}: {} bytes", def.case, encode(&def.how, &t1).len());
        g.bench_function(def.case, |b| b.iter_with_large_drop(|| encode(&def.how, &t1)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
