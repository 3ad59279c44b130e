//! Data storage of tessera's writable catalogs: arrays as Zarr v3, tables as Parquet
//! partitions, every write landing atomically (temporary name, then rename).
