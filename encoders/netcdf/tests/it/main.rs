//! Integration tests of tessera-netcdf: one binary, a module per format.

mod fixtures;
mod nc3;
mod props;
