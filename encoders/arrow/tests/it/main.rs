//! Integration tests of tessera-arrow: round trips through arrow-rs's own IPC readers,
//! golden files, and properties over generated tables.

mod golden;
mod roundtrip;
