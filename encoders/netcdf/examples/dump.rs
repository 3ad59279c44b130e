//! Writes sample files in every format compiled in, for the interop suite
//! (`tests/interop/test_netcdf.py`) and for looking at with `ncdump` / `h5dump`.
//!
//! ```sh
//! cargo run -p tessera-netcdf --example dump --features netcdf4,hdf5 -- OUT_DIR
//! ```
//!
//! NetCDF-3 (`*.nc`): `d1`, `demo_dataset`, `every_dtype`. With `netcdf4`, the same as
//! `*.nc4`. With `hdf5`: the same datasets as `*.h5`, plus `demo_tree.h5` (a container),
//! `short_table.h5` (a table) and `pets.h5` (a structured array).

#![allow(clippy::unwrap_used)]

#[path = "../tests/it/fixtures.rs"]
mod fixtures;

use std::path::Path;

use tessera_core::dataset::Dataset;
use tessera_core::{DatasetEncoder, Params};

fn dataset(dir: &Path, name: &str, ext: &str, enc: &dyn DatasetEncoder, ds: &Dataset) {
    let mut out = Vec::new();
    enc.encode(ds, &Params::new(), &mut out).unwrap_or_else(|e| panic!("{name}.{ext}: {e}"));
    std::fs::write(dir.join(format!("{name}.{ext}")), out).expect("write the file");
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: dump OUT_DIR");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("create the output directory");
    let datasets = [
        ("d1", tessera_testkit::workloads::d1()),
        ("demo_dataset", fixtures::demo_dataset()),
        ("every_dtype", fixtures::every_dtype_dataset()),
    ];
    for (name, ds) in &datasets {
        dataset(dir, name, "nc", &tessera_netcdf::Nc3Encoder, ds);
        #[cfg(feature = "netcdf4")]
        dataset(dir, name, "nc4", &tessera_netcdf::Nc4Encoder, ds);
        #[cfg(feature = "hdf5")]
        dataset(dir, name, "h5", &tessera_netcdf::Hdf5Encoder, ds);
    }
    #[cfg(feature = "hdf5")]
    {
        use tessera_core::{ArrayEncoder, ContainerEncoder, TableEncoder};
        let enc = tessera_netcdf::Hdf5Encoder;
        let mut out = Vec::new();
        ContainerEncoder::encode(&enc, &fixtures::demo_tree(), &Params::new(), &mut out).expect("demo tree");
        std::fs::write(dir.join("demo_tree.h5"), &out).expect("write");
        out.clear();
        TableEncoder::encode(&enc, &mut fixtures::short_table().stream(), &Params::new(), &mut out)
            .expect("table");
        std::fs::write(dir.join("short_table.h5"), &out).expect("write");
        out.clear();
        ArrayEncoder::encode(&enc, &fixtures::pets(), &Params::new(), &mut out).expect("pets");
        std::fs::write(dir.join("pets.h5"), &out).expect("write");
    }
    println!("{}", dir.display());
}
