//! Typed errors. Each says what was wrong with the input in words a user can act on.

use std::error::Error as StdError;
use std::{fmt, io};

use crate::media::MediaType;

/// A data type description that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DataTypeError {
    message: String,
}

impl DataTypeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self { message: message.into() }
    }
}

/// An array whose parts do not fit together (shape, chunks, byte length).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ArrayError {
    /// The byte buffer does not hold `shape.product() * itemsize` bytes.
    #[error("array data has {actual} bytes, but shape {shape:?} of {data_type} needs {expected}")]
    Length {
        /// The declared shape.
        shape: Vec<usize>,
        /// The declared element type, as text.
        data_type: String,
        /// Bytes needed.
        expected: usize,
        /// Bytes given.
        actual: usize,
    },
    /// The number of elements overflows `usize`.
    #[error("array shape {0:?} is too large")]
    TooLarge(Vec<usize>),
    /// Chunks that do not tile the shape.
    #[error("chunks {chunks:?} do not tile shape {shape:?}")]
    Chunks {
        /// The declared shape.
        shape: Vec<usize>,
        /// The declared chunks.
        chunks: Vec<Vec<usize>>,
    },
    /// `dims` names that do not match the number of dimensions.
    #[error("dims {dims:?} do not match the {ndim} dimensions of the array")]
    Dims {
        /// The declared dims.
        dims: Vec<String>,
        /// Number of dimensions.
        ndim: usize,
    },
    /// The element type has no typed view of the requested Rust type.
    #[error("elements of {actual} cannot be viewed as {requested}")]
    View {
        /// The array's element type.
        actual: String,
        /// The requested Rust type.
        requested: &'static str,
    },
}

/// A `slice=` or `block=` parameter that is malformed or out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SliceError {
    /// Text that is not Tiled's slice syntax.
    #[error("malformed slice {input:?}: {reason}")]
    Syntax {
        /// The text as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// More slice items than the array has dimensions.
    #[error("slice has {items} items but the array has {ndim} dimensions")]
    TooManyItems {
        /// Items given.
        items: usize,
        /// Dimensions of the array.
        ndim: usize,
    },
    /// An integer index outside `-len..len`.
    #[error("index {index} is out of range for dimension {dim} of length {len}")]
    IndexOutOfRange {
        /// The index as given.
        index: i64,
        /// The dimension.
        dim: usize,
        /// Its length.
        len: usize,
    },
    /// A step of zero.
    #[error("slice step cannot be zero (dimension {dim})")]
    ZeroStep {
        /// The dimension.
        dim: usize,
    },
    /// A `block=` with the wrong count of indices or an index out of range.
    #[error("{0}")]
    Block(String),
}

/// A `where=` row filter or column selection that cannot be applied to a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The text is not a SQL expression.
    #[error("row filter is not a valid SQL expression: {0}")]
    Parse(String),
    /// A construct the evaluator does not handle.
    #[error("row filter uses {0}, which is not supported")]
    Unsupported(String),
    /// A column name that the table does not have.
    #[error("no such column: {name:?} (columns: {available})")]
    UnknownColumn {
        /// The name as given.
        name: String,
        /// The table's columns, comma-separated.
        available: String,
    },
    /// Operands whose types cannot be compared.
    #[error("cannot evaluate {0}")]
    Type(String),
    /// The filter does not evaluate to a boolean.
    #[error("row filter must be a boolean condition, got {0}")]
    NotBoolean(String),
}

/// A media type that is not well-formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid media type {input:?}: {reason}")]
pub struct MediaTypeError {
    pub(crate) input: String,
    pub(crate) reason: &'static str,
}

/// Why the registry could not pick an encoder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    /// Nothing requested is supported for this structure.
    #[error(
        "None of the media types requested by the client are supported. Supported: {}. Requested: {requested}.",
        supported.join(", ")
    )]
    NotAcceptable {
        /// What the client asked for, as given.
        requested: String,
        /// The media types supported for this structure.
        supported: Vec<String>,
    },
}

/// A registry that cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// No encoder was registered at all.
    #[error("no encoder is registered: link at least one encoder crate")]
    Empty,
    /// Two encoders claim the same media type or alias for one structure family.
    #[error("{family}: {name:?} is claimed by both {first} and {second}")]
    Duplicate {
        /// The structure family.
        family: String,
        /// The media type or alias.
        name: String,
        /// The crate of the first claimant.
        first: &'static str,
        /// The crate of the second claimant.
        second: &'static str,
    },
}

/// Why an encoder failed.
///
/// Everything but `Io` and `Backend` is found before the first byte is written.
#[derive(Debug)]
#[non_exhaustive]
pub enum EncodeError {
    /// Writing to the sink failed (a client that disconnected, a full disk).
    Io(io::Error),
    /// The format cannot represent this input (too many dimensions, a data type it lacks).
    Unsupported {
        /// The format.
        media_type: MediaType,
        /// What it cannot take, and what to do instead.
        what: String,
    },
    /// A media-type parameter or option that is unknown or has a bad value.
    InvalidOption {
        /// The option name.
        key: String,
        /// Why its value is not accepted.
        reason: String,
    },
    /// The output would pass a limit of the format or of the caller.
    Limit {
        /// What would pass the limit.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// Reading the input failed (an error from a table's batch stream).
    Input(Box<dyn StdError + Send + Sync>),
    /// The format's library failed.
    Backend {
        /// The format.
        media_type: MediaType,
        /// The library's error.
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl EncodeError {
    /// Shorthand for [`EncodeError::Unsupported`].
    pub fn unsupported(media_type: MediaType, what: impl Into<String>) -> Self {
        EncodeError::Unsupported { media_type, what: what.into() }
    }

    /// Shorthand for [`EncodeError::InvalidOption`].
    pub fn invalid_option(key: impl Into<String>, reason: impl Into<String>) -> Self {
        EncodeError::InvalidOption { key: key.into(), reason: reason.into() }
    }

    /// Shorthand for [`EncodeError::Backend`].
    pub fn backend(media_type: MediaType, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        EncodeError::Backend { media_type, source: source.into() }
    }

    /// True when the error is the caller's input, not the sink or the library.
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            EncodeError::Unsupported { .. } | EncodeError::InvalidOption { .. } | EncodeError::Limit { .. }
        )
    }
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Io(e) => write!(f, "write failed: {e}"),
            EncodeError::Unsupported { media_type, what } => write!(f, "{media_type}: {what}"),
            EncodeError::InvalidOption { key, reason } => write!(f, "invalid option {key:?}: {reason}"),
            EncodeError::Limit { what, limit } => write!(f, "{what} exceeds the limit of {limit}"),
            EncodeError::Input(e) => write!(f, "reading the input failed: {e}"),
            EncodeError::Backend { media_type, source } => write!(f, "{media_type} encoder failed: {source}"),
        }
    }
}

impl StdError for EncodeError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            EncodeError::Io(e) => Some(e),
            EncodeError::Input(e) => Some(e.as_ref()),
            EncodeError::Backend { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}

impl From<io::Error> for EncodeError {
    fn from(e: io::Error) -> Self {
        EncodeError::Io(e)
    }
}

impl From<arrow::error::ArrowError> for EncodeError {
    fn from(e: arrow::error::ArrowError) -> Self {
        match e {
            arrow::error::ArrowError::IoError(_, io) => EncodeError::Io(io),
            other => EncodeError::Input(Box::new(other)),
        }
    }
}
