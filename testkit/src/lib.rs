//! Test helpers shared by tessera's crates: the exact benchmark workloads and proptest
//! strategies, a throwaway PostgreSQL cluster. Not published.

pub mod postgres;
pub mod strategies;
pub mod workloads;
