//! NetCDF-3, NetCDF-4 and HDF5 encoding of the shared dataset D1 (two 1000×1000 float64
//! variables and an int64 coordinate, 16,008,000 bytes; `../shared/bench/peer-encoders.md`).
//!
//! `encode/<format>/D1` encodes into a fresh `Vec<u8>` without a size hint (comparable to
//! `BytesIO`); `encode_file/<format>/D1` into a new file in the temporary directory, the sink
//! the peers below use.
//!
//! Peers on the reference machine (file sink): netCDF4-python writing D1 directly 0.0062 s,
//! h5py `create_dataset` ×3 0.0050 s, xarray + netCDF4 0.0098 s. xarray's scipy engine
//! (NetCDF-3) is not in the shared table: `encoders/netcdf/scripts/peers_d1.py` measures it
//! (and the two above) the same way, to run back to back with this bench.
//!
//! Run: `cargo bench -p tessera-benches --features netcdf4,hdf5 --bench netcdf` (NetCDF-3
//! alone needs only `--features netcdf`).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use tessera_core::dataset::Dataset;
use tessera_core::{DatasetEncoder, Params};
use tessera_testkit::workloads;

/// One dataset encoder under test: `encode/<format>/D1`.
struct BenchDef {
    format: &'static str,
    encoder: &'static dyn DatasetEncoder,
}

const BENCHES: &[BenchDef] = &[
    BenchDef { format: "netcdf3", encoder: &tessera_netcdf::Nc3Encoder },
    #[cfg(feature = "netcdf4")]
    BenchDef { format: "netcdf4", encoder: &tessera_netcdf::Nc4Encoder },
    #[cfg(feature = "hdf5")]
    BenchDef { format: "hdf5", encoder: &tessera_netcdf::Hdf5Encoder },
];

fn input_bytes(ds: &Dataset) -> u64 {
    ds.variables().map(|(_, v)| v.data.as_bytes().len() as u64).sum()
}

fn bench(c: &mut Criterion) {
    // As the server runs (tessera_core::memory): freed buffers are reused, not faulted in anew.
    tessera_core::memory::retain_freed_memory();
    let d1 = workloads::d1();
    let params = Params::new();
    let mut group = c.benchmark_group("encode");
    group.sample_size(10).throughput(Throughput::Bytes(input_bytes(&d1)));
    for def in BENCHES {
        group.bench_function(format!("{}/D1", def.format), |b| {
            b.iter(|| {
                let mut out = Vec::new();
                def.encoder.encode(&d1, &params, &mut out).expect("D1 encodes");
                black_box(out)
            })
        });
    }
    group.finish();

    let dir = std::env::temp_dir().join(format!("tessera-bench-netcdf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    let mut group = c.benchmark_group("encode_file");
    group.sample_size(10).throughput(Throughput::Bytes(input_bytes(&d1)));
    for def in BENCHES {
        let path = dir.join(def.format);
        // As peers.py: the previous output is deleted outside the timed region, creating
        // the file is inside it.
        group.bench_function(format!("{}/D1", def.format), |b| {
            b.iter_batched(
                || {
                    let _ = std::fs::remove_file(&path);
                },
                |()| {
                    let mut out = std::fs::File::create(&path).expect("create the output file");
                    def.encoder.encode(&d1, &params, &mut out).expect("D1 encodes");
                },
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
