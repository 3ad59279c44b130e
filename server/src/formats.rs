//! The encoder crates compiled into this server: the only per-format list.
//!
//! rustc links a dependency only when code names it, and a crate that is not linked
//! contributes no `inventory` registrations. Each line below names one optional encoder
//! crate so that enabling its cargo feature is all it takes to serve the format; nothing
//! else in the server mentions a format. `tests/registry.rs` checks that the registry
//! matches the enabled features exactly.

#[cfg(feature = "arrow")]
extern crate tessera_arrow as _;
#[cfg(feature = "csv")]
extern crate tessera_csv as _;
#[cfg(feature = "html")]
extern crate tessera_html as _;
#[cfg(feature = "image")]
extern crate tessera_image as _;
#[cfg(feature = "json")]
extern crate tessera_json as _;
#[cfg(any(feature = "netcdf", feature = "hdf5"))]
extern crate tessera_netcdf as _;
#[cfg(feature = "parquet")]
extern crate tessera_parquet as _;
#[cfg(feature = "xlsx")]
extern crate tessera_xlsx as _;
