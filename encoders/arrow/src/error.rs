//! The error of the typed writer, and its conversion into [`EncodeError`].

use std::error::Error as StdError;
use std::io;

use arrow::error::ArrowError;
use tessera_core::EncodeError;

use crate::options::IpcFormat;

/// Why writing Arrow IPC failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IpcError {
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
    /// A batch whose columns differ from the writer's schema. Reported before any byte
    /// of that batch is written.
    #[error("batch does not match the writer's schema: {0}")]
    SchemaMismatch(String),
    /// The Arrow IPC library failed (a codec error, a dictionary replaced in file mode).
    #[error("{format} encoding failed: {source}")]
    Encode {
        /// The format being written.
        format: IpcFormat,
        /// The library's error.
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl IpcError {
    pub(crate) fn from_arrow(format: IpcFormat, e: ArrowError) -> Self {
        match e {
            ArrowError::IoError(_, io) => IpcError::Io(io),
            other => IpcError::Encode { format, source: Box::new(other) },
        }
    }

    pub(crate) fn from_params_error(e: EncodeError) -> Self {
        match e {
            EncodeError::InvalidOption { key, reason } => IpcError::InvalidOption { key, reason },
            other => IpcError::InvalidOption { key: String::new(), reason: other.to_string() },
        }
    }
}

/// `Io` stays `Io`, `InvalidOption` stays `InvalidOption`, a mismatched batch is an
/// [`EncodeError::Input`], and library failures are [`EncodeError::Backend`].
impl From<IpcError> for EncodeError {
    fn from(e: IpcError) -> Self {
        match e {
            IpcError::Io(io) => EncodeError::Io(io),
            IpcError::InvalidOption { key, reason } => EncodeError::InvalidOption { key, reason },
            e @ IpcError::SchemaMismatch(_) => EncodeError::Input(Box::new(e)),
            IpcError::Encode { format, source } => {
                EncodeError::Backend { media_type: format.media_type(), source }
            }
        }
    }
}
