//! NetCDF-3, NetCDF-4 and HDF5 encoders for tessera: datasets as xarray writes them, and
//! containers, arrays and tables as h5py reads them.
//!
//! ```
//! use tessera_core::{NdArray, dataset::{Dataset, Variable}};
//! use tessera_netcdf::Nc3Options;
//!
//! let mut ds = Dataset::default();
//! ds.add_data_var("t", Variable::new(vec!["x".into()], NdArray::from_vec(vec![3], vec![1.5f64, 2.5, 3.5]).unwrap()))
//!     .unwrap();
//! let mut w = Nc3Options::default().build(Vec::new());
//! w.write(&ds).unwrap();
//! let nc = w.finish().unwrap();
//! assert_eq!(&nc[..4], b"CDF\x02"); // NetCDF-3, 64-bit offset
//!
//! // Any NetCDF-3 reader gets the variable back.
//! let mut r = netcdf3::FileReader::open_seek_read("t.nc", Box::new(std::io::Cursor::new(nc))).unwrap();
//! assert_eq!(r.data_set().dim_size("x"), Some(3));
//! assert_eq!(r.read_var("t").unwrap().get_f64().unwrap(), &[1.5, 2.5, 3.5]);
//! ```
//!
//! # Formats
//!
//! | media type | aliases | families | cargo feature | output |
//! |---|---|---|---|---|
//! | `application/x-netcdf` (NetCDF-3) | `application/netcdf`, `nc`, `nc3`, `netcdf` | dataset | always (pure Rust) | streaming |
//! | `application/x-netcdf4` (NetCDF-4) | `nc4`, `netcdf4` | dataset | `netcdf4` (links libnetcdf) | buffered |
//! | `application/x-hdf5` | `h5`, `hdf5` | array, table, dataset, container | `hdf5` (links libhdf5, libhdf5_hl) | buffered |
//!
//! NetCDF-3 is what Tiled serves (through scipy) and what xarray's `scipy` engine reads;
//! NetCDF-4 is the same data model with 64-bit and unsigned integers and strings, in an
//! HDF5 file. NetCDF-3 parameter: `format=64bit_offset` (default, `CDF\x02`) or
//! `format=classic` (`CDF\x01`, 32-bit offsets).
//!
//! The C libraries are opt-in: on Debian install `libnetcdf-dev libhdf5-dev pkg-config`,
//! then `tessera-netcdf = { version = "0.1", features = ["netcdf4", "hdf5"] }`. The `static`
//! feature builds both libraries from source instead (needs cmake and a C compiler).
//!
//! # Datasets: NetCDF-3, NetCDF-4 and HDF5
//!
//! Dimensions are the dataset's (in order of first use, coordinates first), variables
//! keep their dims and attributes, global attributes are the dataset's. The encoding is
//! xarray's `to_netcdf` (its CF conventions), so `xarray.open_dataset` returns a dataset for
//! which `xr.testing.assert_identical` holds against the source:
//!
//! - a non-dimension coordinate is listed, sorted, in the `coordinates` attribute of every
//!   data variable whose dims include its dims (in the global `coordinates` when none does);
//! - types each format lacks are converted, with the attribute that tells readers so:
//!
//! | dtype | NetCDF-3 | NetCDF-4 | HDF5 |
//! |---|---|---|---|
//! | `bool` | `byte`, `dtype = "bool"` | `byte`, `dtype = "bool"` | bool (h5py's enum) |
//! | `int8/16/32`, `float32/64` | same | same | same |
//! | `int64` | `int` when every value fits, else refused | `int64` | `int64` |
//! | `uint8/16/32` | signed type of the same width holding the same bits, `_Unsigned = "true"` | same | same |
//! | `uint64` | `int` with `_Unsigned = "true"` when every value < 2^32, else refused | `uint64` | `uint64` |
//! | `float16` | `float` | `float` | half (h5py's layout) |
//! | `datetime64` | numbers with `units = "<unit> since <first date>"` and `calendar = "proleptic_gregorian"`: the coarsest of days…nanoseconds dividing every value; `int` when every count fits, else `double` (NaT → NaN) | same, `int64` (NaT → `i64::MIN`, as xarray) | as NetCDF-4 |
//! | `timedelta64` | counts with `units = "<unit>"` and `dtype = "timedelta64[<u>]"` (same rules) | same, `int64` | same |
//! | `<U n` | UTF-8 `char` array over an extra last dimension `string<N>` (N the longest encoding), `_Encoding = "utf-8"` | `string` | variable-length UTF-8 |
//! | `S n` | `char` array over `string<n>` | same | fixed-length bytes |
//! | complex, records | refused | refused | compound (h5py's layout) |
//!
//! A variable that already has an attribute its encoding adds (`units` on a datetime, …)
//! is refused, as xarray refuses it. `_FillValue` and `missing_value` are cast to the
//! variable's stored type (refused when inexact). A zero-length dimension becomes NetCDF-3's
//! record dimension (zero records): there can be only one and it must come first.
//!
//! In HDF5 each variable is a dataset and each dimension a dimension scale (libhdf5_hl's
//! `DIMENSION_LIST`/`REFERENCE_LIST`): the 1-D coordinate of that name, or a placeholder
//! float dataset whose `NAME` is netCDF-4's "This is a netCDF dimension but not a netCDF
//! variable." marker. xarray's `h5netcdf` engine and netCDF-C read the dims back.
//!
//! # HDF5: containers, arrays and tables
//!
//! - A container is the file root (or a group below it); its metadata become attributes.
//! - An array is a dataset (`data` at the root for an array export); attributes from its
//!   metadata. Element types as h5py writes them: bool enum, little-endian integers and
//!   floats, half floats, complex as compound `{r, i}`, `datetime64`/`timedelta64` as opaque
//!   types tagged `NUMPY:<M8[unit]` (h5py reads them as numpy datetimes), `<U n` as
//!   variable-length UTF-8 (also inside records), `S n` as fixed-length NUL-padded bytes,
//!   records as compounds with the same field names and offsets.
//! - A table is a group (the root for a table export) with one 1-D dataset per column —
//!   only that column (Tiled 0.2.20 writes the whole table into each). Nulls: NaN in
//!   floats; integer and boolean columns with nulls become `float64` with NaN (pandas' rule);
//!   NaT in timestamps, dates and durations; `""` in strings and bytes. A timestamp's zone
//!   is the dataset's `timezone` attribute. Lists, structs, decimals and times of day are
//!   refused.
//! - A dataset is a group laid out as above, with the dataset's attributes (Tiled keeps
//!   them under the node's `attrs` key; other metadata keys join them).
//! - Children, datasets and attributes are listed in the order written (creation order is
//!   tracked). Modification times are not stored, so equal input gives equal bytes.
//!
//! # Attributes
//!
//! JSON metadata values are stored natively where the format can: text; booleans (HDF5; a
//! NetCDF `byte` 0/1 elsewhere); integers (`int` in NetCDF-3 when they fit, else `double`
//! when exact; `int64`/`uint64` otherwise); floats; non-empty lists of one such kind (HDF5 and
//! NetCDF-4 also lists of strings). Anything else — objects, `null`, empty or mixed lists,
//! numbers the format cannot hold exactly, HDF5 text with a NUL — is stored as its compact
//! JSON text, and its name is listed in the text attribute [`JSON_ATTRS`]
//! (`tessera_json_attrs`, a JSON list), so a reader knows which attributes to parse.
//!
//! # Names
//!
//! NetCDF names follow netCDF-C: 1–256 bytes of UTF-8, starting with a letter, digit, `_` or
//! non-ASCII character, without `/`, control characters or a trailing space. HDF5 names
//! cannot be empty, `.`, or contain `/`. Anything else is refused before writing. (scipy
//! decodes NetCDF-3 names as latin-1; netCDF-C and xarray's other engines read the UTF-8.)
//!
//! # Errors, threads and temporary files
//!
//! Everything a format cannot hold is an [`EncodeError::Unsupported`] saying what to do
//! instead, found before the first byte is written. The C libraries are not reentrant:
//! every call into them runs under one process-wide lock (the one the `netcdf` and
//! `hdf5-metno` crates share), so call the encoders from blocking threads (the server's
//! `spawn_blocking`). libnetcdf and libhdf5 need a file: the encoders write a temporary file
//! (in `TMPDIR`, or the directory of `Nc4Options::with_temp_dir` /
//! `Hdf5Options::with_temp_dir`), stream it to the sink and delete it, also when they
//! fail or panic. The registered encoders build the file of an input of up to
//! `MEMORY_LIMIT` (64 MiB) in memory instead (libhdf5's core driver through
//! `Hdf5Options::with_in_memory`, libnetcdf's `nc_create_mem` through
//! `Nc4Options::with_in_memory`), which spares the file system round trip; larger inputs,
//! and tables (whose size is known only once read), go through the temporary file, so
//! memory stays bounded.
//!
//! Exact output bytes are not covered by semver; the mappings above are.
//!
//! [`EncodeError::Unsupported`]: tessera_core::EncodeError::Unsupported

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod attrs;
mod cf;
#[cfg(any(feature = "netcdf4", feature = "hdf5"))]
mod clib;
#[cfg(feature = "hdf5")]
mod hdf5;
mod names;
mod nc3;
#[cfg(feature = "netcdf4")]
mod nc4;

pub use attrs::JSON_ATTRS;
#[cfg(any(feature = "netcdf4", feature = "hdf5"))]
pub use clib::MEMORY_LIMIT;
#[cfg(feature = "hdf5")]
pub use hdf5::{ARRAY_DATASET, HDF5, Hdf5Encoder, Hdf5Options, Hdf5Writer};
pub use nc3::{NETCDF3, Nc3Encoder, Nc3Format, Nc3Options, Nc3Writer};
#[cfg(feature = "netcdf4")]
pub use nc4::{NETCDF4, Nc4Encoder, Nc4Options, Nc4Writer};

use tessera_core::Registration;

tessera_core::inventory::submit! { Registration::Dataset(&Nc3Encoder) }
#[cfg(feature = "netcdf4")]
tessera_core::inventory::submit! { Registration::Dataset(&Nc4Encoder) }
#[cfg(feature = "hdf5")]
tessera_core::inventory::submit! { Registration::Array(&Hdf5Encoder) }
#[cfg(feature = "hdf5")]
tessera_core::inventory::submit! { Registration::Table(&Hdf5Encoder) }
#[cfg(feature = "hdf5")]
tessera_core::inventory::submit! { Registration::Dataset(&Hdf5Encoder) }
#[cfg(feature = "hdf5")]
tessera_core::inventory::submit! { Registration::Container(&Hdf5Encoder) }

/// The encoders of this crate compiled in, for
/// [`Registry::from_static`](tessera_core::Registry::from_static).
pub const REGISTRATIONS: &[Registration] = &[
    Registration::Dataset(&Nc3Encoder),
    #[cfg(feature = "netcdf4")]
    Registration::Dataset(&Nc4Encoder),
    #[cfg(feature = "hdf5")]
    Registration::Array(&Hdf5Encoder),
    #[cfg(feature = "hdf5")]
    Registration::Table(&Hdf5Encoder),
    #[cfg(feature = "hdf5")]
    Registration::Dataset(&Hdf5Encoder),
    #[cfg(feature = "hdf5")]
    Registration::Container(&Hdf5Encoder),
];
