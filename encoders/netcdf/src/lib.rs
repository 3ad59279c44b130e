//! NetCDF and HDF5 encoders for tessera.
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

/// The encoders of this crate compiled in, for [`Registry::from_static`](tessera_core::Registry::from_static).
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
