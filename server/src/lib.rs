//! The tessera server: Tiled's HTTP API v1 over tessera's encoders, so the official Tiled
//! Python client (`from tiled.client import from_uri`) works against it unchanged.
//!
//! The server is generic: every data endpoint negotiates a format through the encoder
//! [`Registry`](tessera_core::Registry) and streams the chosen encoder's output; the formats
//! compiled in are chosen with cargo features, one per format, and named in one place
//! (`src/formats.rs`).
//!
//! | feature | media types | crate |
//! |---|---|---|
//! | (always) | `application/octet-stream`, `application/x-npy` | tessera-core |
//! | `csv` | `text/csv` (arrays ≤ 2-D, tables, datasets) | tessera-csv |
//! | `json` | `application/json`, `application/json-seq` | tessera-json |
//! | `arrow` | Arrow IPC file and stream (tables, datasets) | tessera-arrow |
//! | `parquet` | `application/x-parquet` | tessera-parquet |
//! | `image` | `image/png`, `image/tiff` (arrays) | tessera-image |
//! | `xlsx` | Excel (tables, datasets) | tessera-xlsx |
//! | `html` | `text/html` | tessera-html |
//! | `netcdf` (opt-in) | `application/x-netcdf` (NetCDF-3, datasets) | tessera-netcdf |
//! | `netcdf4`, `hdf5` (opt-in, C libraries) | NetCDF-4; `application/x-hdf5` | tessera-netcdf |
//! | `iceberg`, `iceberg-rest` (opt-in) | none: the `iceberg_export` route and `tessera export-iceberg` | tessera-iceberg |
//!
//! `tessera formats` lists what a binary actually holds.
//!
//! ```
//! use tower::ServiceExt;
//! use axum::{body::Body, http::Request};
//! use tessera_server::{app, demo, state::{AppState, Auth, Limits}};
//!
//! let state = AppState {
//!     root: demo::tree(),
//!     registry: tessera_core::Registry::global().unwrap(),
//!     limits: Limits::default(),
//!     auth: Auth::open(),
//! };
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! let response = rt.block_on(
//!     app(state).oneshot(Request::get("/api/v1/array/full/scalars/fortytwo").body(Body::empty()).unwrap()),
//! ).unwrap();
//! assert_eq!(response.status(), 200);
//! let body = rt.block_on(axum::body::to_bytes(response.into_body(), 64)).unwrap();
//! assert_eq!(body.as_ref(), 42i64.to_le_bytes());
//! ```

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod api;
pub mod catalog_tree;
pub mod demo;
pub mod error;
pub mod export;
mod formats;
#[cfg(feature = "iceberg")]
pub mod iceberg_export;
pub mod listing;
pub mod logging;
pub mod patch;
pub mod query;
pub mod resource;
pub mod search;
pub mod serve;
pub mod state;
pub mod stream;
pub mod tree;
pub mod write;

pub use serve::app;
