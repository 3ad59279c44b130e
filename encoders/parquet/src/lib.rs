//! tessera-parquet: not written yet.
