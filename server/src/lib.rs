//! The tessera server: Tiled's HTTP API v1 over tessera's encoders.
//!
//! (Phase 1 placeholder; the HTTP API lands next.)

#![warn(missing_docs)]

mod formats;
pub mod listing;
