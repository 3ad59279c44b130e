//! CSV (`text/csv`) encoder for tessera tables, arrays and xarray datasets.
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
//! use arrow::datatypes::{DataType, Field, Schema};
//! use tessera_csv::CsvOptions;
//!
//! let schema = Arc::new(Schema::new(vec![
//!     Field::new("id", DataType::Int64, false),
//!     Field::new("x", DataType::Float64, true),
//!     Field::new("note", DataType::Utf8, true),
//! ]));
//! let batch = RecordBatch::try_new(schema, vec![
//!     Arc::new(Int64Array::from(vec![1, 2])),
//!     Arc::new(Float64Array::from(vec![Some(0.5), None])),
//!     Arc::new(StringArray::from(vec![Some("a, \"b\""), Some("plain")])),
//! ]).unwrap();
//!
//! let mut w = CsvOptions::default().build(Vec::new()).unwrap();
//! w.write(&batch).unwrap();
//! let csv = w.finish().unwrap();
//! assert_eq!(csv, b"id,x,note\n1,0.5,\"a, \"\"b\"\"\"\n2,,plain\n");
//! ```
//!
//! # Dialect
//!
//! The output is RFC 4180 CSV, with these exact choices:
//!
//! - UTF-8, no byte-order mark. Records end with `\n` ([`CsvOptions::with_crlf`] gives
//!   `\r\n`), including the last one. Fields are separated by `,`
//!   ([`CsvOptions::with_delimiter`]).
//! - A field is quoted only when it contains the delimiter, `"`, CR or LF, starts or ends
//!   with a space or a tab, or starts with U+FEFF (which readers would drop as a byte-order
//!   mark at the start of the file): it is then wrapped in `"` and each `"` inside is
//!   doubled. Nothing else is ever quoted.
//! - A null is an empty field. A record made of one empty field is written `""`, so that
//!   readers do not skip it as a blank line.
//! - Records with no fields are not written at all: a table whose columns are all binary,
//!   or an array with a zero-length last dimension, gives an empty body.
//!
//! # Tables
//!
//! A header row of the column names (quoted by the same rule), then one record per row,
//! batch by batch. The media-type parameter `header=absent` (or
//! [`CsvOptions::with_header`]`(false)`) leaves the header out; `header=present` is the
//! default. The header is written even for a table without rows.
//!
//! **Binary columns** (Binary, LargeBinary, BinaryView, FixedSizeBinary) **are left out**,
//! from the header and from every record, as Pixeltable's `export_csv` does: their bytes
//! have no faithful text form. Every other column is written with the shared text
//! mapping of [`tessera_core::columns`]:
//!
//! | Arrow type | field |
//! |---|---|
//! | integers, durations | decimal digits (durations: count of their unit) |
//! | floats | shortest text that reads back to the same value (`0.1`, `1e-7`, `24.0`), `nan`, `inf`, `-inf` |
//! | boolean | `true`, `false` |
//! | timestamp | ISO 8601 `2020-01-01T00:00:01` with `.fff`/`.ffffff`/`.fffffffff` only when not zero; zone-aware timestamps as the UTC instant with a `Z` suffix |
//! | date | `2020-01-01` |
//! | time | `12:30:00` (fraction as for timestamps) |
//! | decimal | exact digits (`-0.05`) |
//! | strings | as they are |
//! | list, struct, map | their JSON text (`[1,2]`, `{"a":1}`), quoted as any field |
//! | dictionary | its value |
//!
//! Tables stream: memory holds one batch's formatters and a 64 KiB output buffer.
//!
//! # Arrays
//!
//! Arrays of at most 2 dimensions, **never with a header** (the `header` parameter is
//! accepted and ignored): a 2-D array gives one record per row, a 1-D array one value per
//! record, a 0-d array a single value. A structured (record) array of 0 or 1 dimensions
//! gives one record per element with one field per record field (a 2-D structured array
//! gives one field per element, the element's JSON text). More than 2 dimensions is
//! [`EncodeError::Unsupported`](tessera_core::EncodeError) before anything is written:
//! slice the array first (`slice=0,:,:`).
//!
//! | numpy dtype | field |
//! |---|---|
//! | bool | `true`, `false` |
//! | integers | decimal digits |
//! | float16/32/64 | shortest round-trip text, `nan`, `inf`, `-inf` |
//! | complex | `1.5-2.0j` |
//! | datetime64 | ISO 8601 without a zone (`2020-01-01T00:00:00`, `2020-01-01` for days); NaT empty |
//! | timedelta64 | count of its unit; NaT empty |
//! | `U` | the text |
//! | `S` | the bytes decoded as UTF-8, invalid sequences replaced by U+FFFD |
//!
//! Arrays stream in slabs of about 4 MiB of rows ([`ArraySource::read_rows`]), so an
//! array larger than memory exports in bounded memory.
//!
//! # Datasets
//!
//! An xarray dataset is written as its table form,
//! [`Dataset::to_table`](tessera_core::dataset::Dataset::to_table) (xarray's
//! `to_dataframe()` with the index reset): one column per dimension coordinate, then one
//! per variable.
//!
//! # Registration
//!
//! [`CsvEncoder`] is registered with `inventory` for [`Family::Table`], [`Family::Array`]
//! and [`Family::Dataset`] under `text/csv` with the aliases `csv`, `txt`, `text`,
//! `text/x-comma-separated-values`, `text/comma-separated-values`, `text/plain` and
//! `application/vnd.ms-excel`; [`REGISTRATIONS`] lists the same for
//! [`Registry::from_static`](tessera_core::Registry::from_static).
//!
//! Exact output bytes are not covered by semver; the dialect and mappings above are.
//!
//! [`ArraySource::read_rows`]: tessera_core::ArraySource::read_rows
//! [`Family::Table`]: tessera_core::Family::Table
//! [`Family::Array`]: tessera_core::Family::Array
//! [`Family::Dataset`]: tessera_core::Family::Dataset

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod encoder;
mod options;
mod writer;

pub use encoder::CsvEncoder;
pub use options::{CsvOptions, PARAMS, default_threads};
pub use writer::CsvWriter;

use tessera_core::Registration;

tessera_core::inventory::submit! { Registration::Table(&CsvEncoder) }
tessera_core::inventory::submit! { Registration::Array(&CsvEncoder) }
tessera_core::inventory::submit! { Registration::Dataset(&CsvEncoder) }

/// The CSV encoders, for [`Registry::from_static`](tessera_core::Registry::from_static).
pub const REGISTRATIONS: &[Registration] =
    &[Registration::Table(&CsvEncoder), Registration::Array(&CsvEncoder), Registration::Dataset(&CsvEncoder)];
