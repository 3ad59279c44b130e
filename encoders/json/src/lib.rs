//! JSON encoders for tessera: tables, arrays, datasets and containers as strict JSON, plus
//! JSON text sequences (RFC 7464) and NDJSON for tables.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_json::{JsonFormat, JsonOptions};
//!
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("id", DataType::Int64, false),
//!     Field::new("x", DataType::Float64, true),
//!     Field::new("name", DataType::Utf8, true),
//! ]));
//! let batch = RecordBatch::try_new(schema, vec![
//!     Arc::new(Int64Array::from(vec![1, 2])),
//!     Arc::new(Float64Array::from(vec![Some(0.5), Some(f64::NAN)])),
//!     Arc::new(StringArray::from(vec![Some("a\"b"), None])),
//! ]).unwrap();
//!
//! let mut w = JsonOptions::new(JsonFormat::Columns).build(Vec::new());
//! w.write(&batch).unwrap();
//! assert_eq!(w.finish().unwrap(), br#"{"id":[1,2],"x":[0.5,null],"name":["a\"b",null]}"#);
//!
//! let mut w = JsonOptions::new(JsonFormat::Ndjson).build(Vec::new());
//! w.write(&batch).unwrap();
//! assert_eq!(
//!     w.finish().unwrap(),
//!     b"{\"id\":1,\"x\":0.5,\"name\":\"a\\\"b\"}\n{\"id\":2,\"x\":null,\"name\":null}\n"
//! );
//! ```
//!
//! # Formats
//!
//! Every output is strict JSON (RFC 8259), UTF-8, without insignificant whitespace: NaN
//! and ±infinity are written `null`, never as `NaN` or `Infinity` tokens. Keys and strings
//! are escaped as RFC 8259 requires (`"`, `\`, control characters), other characters are
//! written as they are (no `\u` escapes for non-ASCII).
//!
//! | media type | aliases | families | bytes |
//! |---|---|---|---|
//! | `application/json` | `json` | table, dataset | `{"a":[1,2],"b":["x",null]}`: one key per column in schema order, each with the list of its values |
//! | `application/json` | `json` | array | nested lists, one level per dimension (`[[1,2],[3,4]]`); a 0-d array is a bare value (`3.5`) |
//! | `application/json` | `json` | container | `{"contents":{"child":{"contents":{},"metadata":{}}},"metadata":{...}}` |
//! | `application/json-seq` | `json-seq` | table | each row as `\x1e{"a":1,"b":"x"}\n` (RFC 7464); an empty table gives an empty body |
//! | `application/x-ndjson` | `ndjson`, `jsonl` | table | each row as `{"a":1,"b":"x"}\n`; an empty table gives an empty body |
//!
//! **Tables.** Values follow the shared mapping of [`tessera_core::columns`]: numbers as
//! JSON numbers (floats in their shortest round-trip form, `0.1`, `1e-7`); booleans;
//! timestamps, dates and times as ISO 8601 strings (`"2020-01-01T00:00:01.500"`;
//! zone-aware timestamps as the UTC instant with `Z`); durations as their count;
//! decimals as exact numbers; lists as arrays, structs and maps as objects (native
//! nested JSON, not strings); dictionaries as their values; nulls as `null`.
//! **Binary columns** are written as strings of their bytes decoded as UTF-8 (invalid
//! sequences replaced by U+FFFD) in `application/json` and `application/json-seq`, as
//! Tiled does, and are **left out** of NDJSON rows, as Pixeltable's `export_json` does
//! ([`JsonOptions::with_binary`] chooses). Rows formats stream batch by batch;
//! `application/json` needs whole columns, so it keeps the batches until the end
//! ([`Output::Buffered`](tessera_core::Output)).
//!
//! **Arrays.** Elements: booleans, integers and floats as numbers (non-finite → `null`);
//! complex numbers as `[re, im]`; `datetime64` as ISO 8601 strings without a zone
//! (`"2025-01-01T00:00:00"`), NaT as `null`; `timedelta64` as the count of its unit;
//! `U` as strings; `S` as strings of the bytes decoded as UTF-8; structured records as
//! lists of their fields (`[["Rex",9,81.0],...]`). Arrays stream in slabs of rows.
//!
//! **Datasets** are written as their table form
//! ([`Dataset::to_table`](tessera_core::dataset::Dataset::to_table)) in the column layout.
//!
//! **Containers** give the metadata of every node and no data; see [`container_value`].
//!
//! None of the encoders takes media-type parameters; any is
//! [`EncodeError::InvalidOption`](tessera_core::EncodeError) before anything is written.
//!
//! # Registration
//!
//! [`JsonEncoder`] (all four families), [`JsonSeqEncoder`] and [`NdjsonEncoder`] (tables)
//! are registered with `inventory`; [`REGISTRATIONS`] lists them for
//! [`Registry::from_static`](tessera_core::Registry::from_static).
//!
//! Exact output bytes are not covered by semver; the framings and mappings above are.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod array;
mod container;
mod encoder;
mod options;
mod writer;

pub use array::write_array;
pub use container::container_value;
pub use encoder::{JsonEncoder, JsonSeqEncoder, NdjsonEncoder};
pub use options::{BinaryColumns, JsonFormat, JsonOptions};
pub use writer::JsonWriter;

use tessera_core::Registration;

tessera_core::inventory::submit! { Registration::Table(&JsonEncoder) }
tessera_core::inventory::submit! { Registration::Array(&JsonEncoder) }
tessera_core::inventory::submit! { Registration::Dataset(&JsonEncoder) }
tessera_core::inventory::submit! { Registration::Container(&JsonEncoder) }
tessera_core::inventory::submit! { Registration::Table(&JsonSeqEncoder) }
tessera_core::inventory::submit! { Registration::Table(&NdjsonEncoder) }

/// The JSON encoders, for [`Registry::from_static`](tessera_core::Registry::from_static).
pub const REGISTRATIONS: &[Registration] = &[
    Registration::Table(&JsonEncoder),
    Registration::Array(&JsonEncoder),
    Registration::Dataset(&JsonEncoder),
    Registration::Container(&JsonEncoder),
    Registration::Table(&JsonSeqEncoder),
    Registration::Table(&NdjsonEncoder),
];
