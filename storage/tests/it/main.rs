//! Integration tests of tessera-storage: arrays (Zarr v3) and tables (Parquet), read back
//! through this crate and, for Parquet, through the `parquet` crate's own reader.
#![allow(clippy::unwrap_used)]

mod arrays;
mod props;
mod tables;

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}
