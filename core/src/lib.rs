//! The core of tessera: the data model, the encoder traits and their registry.
//!
//! tessera serves and exports scientific data — n-d arrays, tables and xarray-style
//! datasets — in whatever format a consumer needs. This crate holds what every format
//! shares:
//!
//! - [`DataType`] and [`NdArray`]: numpy-compatible element types and C-order arrays, with
//!   typed `ndarray` views and a generic [`ArrayVisitor`];
//! - [`table`]: tables as an Arrow schema plus a stream of record batches, with column
//!   projection and SQL `where=` row filters ([`filter`]);
//! - [`dataset`] and [`container`]: xarray datasets and trees of nodes;
//! - [`slice`]: numpy basic slicing in Tiled's query syntax;
//! - [`media`]: validated media types and their parameters;
//! - [`encoder`] and [`Registry`]: one object-safe trait per structure family, link-time
//!   registration, and format negotiation;
//! - [`raw`]: the always-present `application/octet-stream` and `.npy` array encoders.
//!
//! ```
//! use tessera_core::{Family, NdArray, Params, Registry};
//! let reg = Registry::global().unwrap(); // the raw encoders are always registered
//! let (enc, params) = reg.negotiate(Family::Array, None, Some("application/octet-stream")).unwrap();
//! let a = NdArray::from_vec(vec![2], vec![1.5f32, -2.0]).unwrap();
//! let mut out = Vec::new();
//! match enc {
//!     tessera_core::Registration::Array(e) => e.encode(&a, &params, &mut out).unwrap(),
//!     _ => unreachable!(),
//! }
//! assert_eq!(out, [1.5f32.to_le_bytes(), (-2.0f32).to_le_bytes()].concat());
//! ```
//!
//! Exact output bytes of encoders are not covered by semver; their documented mappings are.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod array;
pub mod columns;
pub mod container;
pub mod convert;
pub mod dataset;
pub mod dtype;
pub mod encoder;
pub mod error;
pub mod filter;
#[cfg(feature = "arbitrary")]
pub mod fuzzing;
pub mod media;
pub mod memory;
pub mod raw;
pub mod registry;
pub mod slice;
pub mod table;
pub mod time;

pub use array::{ArrayStructure, ArrayVisitor, Bool8, Cell, Element, NdArray};
pub use dtype::{DataType, Field, TimeUnit};
pub use encoder::{
    ArrayEncoder, ArraySource, ContainerEncoder, DatasetEncoder, Family, Output, Registration, Spec,
    TableEncoder,
};
pub use error::{
    ArrayError, DataTypeError, EncodeError, FilterError, MediaTypeError, NegotiationError, RegistryError,
    SliceError,
};
pub use media::{MediaType, Params};
pub use registry::Registry;
pub use table::{BatchStream, Table};

/// Re-exported so encoder crates and embedders name one `inventory` (the registration
/// macro must come from the same crate as the collection).
pub use inventory;
