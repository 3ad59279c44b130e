//! tessera-netcdf: not written yet.
