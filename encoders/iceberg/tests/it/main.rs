//! Integration tests of tessera-iceberg against real catalogs: SQLite files here, a throwaway
//! PostgreSQL server when its binaries are installed. Values are read back through
//! iceberg-rust's own scan (pyiceberg reads them in tests/interop/test_iceberg.py).

#![allow(clippy::unwrap_used)]

mod common;
mod faults;
mod postgres;
mod props;
mod roundtrip;
