//! tessera-iceberg: not written yet.
