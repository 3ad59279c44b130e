//! Integration tests of tessera-parquet: round trips through the `parquet` crate's Arrow
//! reader, golden files, and properties over generated tables.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod golden;
mod roundtrip;
