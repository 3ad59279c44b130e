//! The error of the typed writer, and its conversion into [`EncodeError`].

use std::error::Error as StdError;
use std::io;

use parquet::errors::ParquetError;
use tessera_core::{EncodeError, MediaType};

use crate::MEDIA_TYPE;

/// Why writing Parquet failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParquetWriteError {
    /// Writing to the sink failed.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
    /// An option or media-type parameter that is unknown or has a bad value. Reported
    /// before anything is written.
    #[error("invalid option {key:?}: {reason}")]
    InvalidOption {
        /// The option name.
        key: String,
        /// Why it is not accepted.
        reason: String,
    },
    /// A schema Parquet cannot store (a union, a table without columns). Reported before
    /// anything is written.
    #[error("Parquet cannot store this table: {0}")]
    UnsupportedSchema(String),
    /// A batch whose columns differ from the writer's schema. Reported before any of it
    /// is encoded.
    #[error("batch does not match the writer's schema: {0}")]
    SchemaMismatch(String),
    /// The Parquet library failed.
    #[error("Parquet encoding failed: {0}")]
    Encode(#[source] Box<dyn StdError + Send + Sync>),
}

impl ParquetWriteError {
    pub(crate) fn from_parquet(e: ParquetError) -> Self {
        match e {
            ParquetError::External(inner) => match inner.downcast::<io::Error>() {
                Ok(io) => ParquetWriteError::Io(*io),
                Err(other) => ParquetWriteError::Encode(other),
            },
            other => ParquetWriteError::Encode(Box::new(other)),
        }
    }

    pub(crate) fn invalid(key: &str, reason: impl Into<String>) -> Self {
        ParquetWriteError::InvalidOption { key: key.to_owned(), reason: reason.into() }
    }
}

/// `Io` stays `Io`, `InvalidOption` stays `InvalidOption`, an unsupported schema is
/// [`EncodeError::Unsupported`], a mismatched batch is [`EncodeError::Input`], and library
/// failures are [`EncodeError::Backend`].
impl From<ParquetWriteError> for EncodeError {
    fn from(e: ParquetWriteError) -> Self {
        const MT: MediaType = MEDIA_TYPE;
        match e {
            ParquetWriteError::Io(io) => EncodeError::Io(io),
            ParquetWriteError::InvalidOption { key, reason } => EncodeError::InvalidOption { key, reason },
            ParquetWriteError::UnsupportedSchema(what) => EncodeError::Unsupported { media_type: MT, what },
            e @ ParquetWriteError::SchemaMismatch(_) => EncodeError::Input(Box::new(e)),
            ParquetWriteError::Encode(source) => EncodeError::Backend { media_type: MT, source },
        }
    }
}
