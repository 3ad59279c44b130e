//! Integration tests of tessera-parquet: round trips through the `parquet` crate's Arrow
//! reader, golden files, and properties over generated tables.

mod golden;
mod roundtrip;
