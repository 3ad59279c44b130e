//! Test helpers shared by tessera's crates: the exact benchmark workloads and proptest
//! strategies. Not published.

pub mod strategies;
pub mod workloads;
