//! Integration tests of tessera-netcdf: one binary, a module per format.

#![allow(clippy::unwrap_used)]

mod fixtures;
#[cfg(feature = "hdf5")]
mod hdf5;
mod nc3;
#[cfg(feature = "netcdf4")]
mod nc4;
mod props;
