//! [`JsonOptions`] and [`JsonFormat`]: which JSON framing a table is written in.

use std::io::Write;

use tessera_core::MediaType;

use crate::writer::JsonWriter;

/// How a table is laid out as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum JsonFormat {
    /// `application/json`: one object of columns, `{"a":[1,2],"b":["x","y"]}` (Tiled's
    /// form, pandas `to_dict(orient="list")`). Needs every row before the first byte, so
    /// the writer keeps the batches until [`JsonWriter::finish`]. The default.
    #[default]
    Columns,
    /// `application/json-seq` (RFC 7464): each row as `\x1e{"a":1,"b":"x"}\n`, streamed.
    /// An empty table gives an empty body.
    JsonSeq,
    /// `application/x-ndjson` (NDJSON / JSON Lines, Pixeltable's `export_json`): each row
    /// as `{"a":1,"b":"x"}\n`, streamed; binary columns are left out by default.
    Ndjson,
}

impl JsonFormat {
    /// The format's media type.
    pub const fn media_type(self) -> MediaType {
        match self {
            JsonFormat::Columns => MediaType::from_static("application/json"),
            JsonFormat::JsonSeq => MediaType::from_static("application/json-seq"),
            JsonFormat::Ndjson => MediaType::from_static("application/x-ndjson"),
        }
    }
}

/// What happens to binary columns (Binary, LargeBinary, BinaryView, FixedSizeBinary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BinaryColumns {
    /// Left out: no key in row objects, no entry in the column object (Pixeltable's JSONL).
    Omit,
    /// Written as strings, the bytes decoded as UTF-8 with invalid sequences replaced by
    /// U+FFFD (what Tiled does: "bytes are decoded").
    Utf8Lossy,
}

/// Options of a [`JsonWriter`].
///
/// ```
/// use tessera_json::{BinaryColumns, JsonFormat, JsonOptions};
/// let o = JsonOptions::new(JsonFormat::Ndjson);
/// assert_eq!(o.binary(), BinaryColumns::Omit);
/// assert_eq!(JsonOptions::default().binary(), BinaryColumns::Utf8Lossy);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JsonOptions {
    pub(crate) format: JsonFormat,
    pub(crate) binary: BinaryColumns,
}

impl Default for JsonOptions {
    fn default() -> Self {
        Self::new(JsonFormat::default())
    }
}

impl JsonOptions {
    /// Options for `format`, with its default handling of binary columns:
    /// [`BinaryColumns::Omit`] for NDJSON, [`BinaryColumns::Utf8Lossy`] otherwise.
    pub fn new(format: JsonFormat) -> Self {
        let binary = match format {
            JsonFormat::Ndjson => BinaryColumns::Omit,
            _ => BinaryColumns::Utf8Lossy,
        };
        JsonOptions { format, binary }
    }

    /// The framing. Default [`JsonFormat::Columns`].
    pub fn format(&self) -> JsonFormat {
        self.format
    }

    /// What binary columns become (default: see [`JsonOptions::new`]).
    pub fn binary(&self) -> BinaryColumns {
        self.binary
    }

    /// Sets what binary columns become.
    pub fn with_binary(mut self, binary: BinaryColumns) -> Self {
        self.binary = binary;
        self
    }

    /// A writer into `out`. Nothing is written yet.
    pub fn build<W: Write>(self, out: W) -> JsonWriter<W> {
        JsonWriter::new(out, self)
    }
}
