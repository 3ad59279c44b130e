//! Integration tests of tessera-arrow: round trips through arrow-rs's own IPC readers,
//! golden files, and properties over generated tables.
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod golden;
mod roundtrip;
