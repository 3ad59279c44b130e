//! The error type of every storage operation.

use std::io;
use std::ops::Range;
use std::path::PathBuf;

/// What went wrong in a storage operation.
///
/// [`StorageError::is_client_error`] separates the caller's mistakes (a bad location, an upload
/// that does not match the declared structure, a block out of range, a partition not written
/// yet: the server answers 4xx) from failures of the machine (I/O, a corrupt file, a library
/// error: 5xx).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The location is not a valid relative path (client error).
    #[error("invalid storage location {location:?}: {reason}")]
    InvalidLocation {
        /// The location as given.
        location: String,
        /// Why it was refused.
        reason: &'static str,
    },
    /// Nothing is stored at the location (client error).
    #[error("no data is stored at {location:?}")]
    NotFound {
        /// The location.
        location: String,
    },
    /// Something is already stored at the location (client error: a conflict).
    #[error("data already exists at {location:?}")]
    AlreadyExists {
        /// The location.
        location: String,
    },
    /// A data type or a chunk layout that this storage cannot represent (client error).
    #[error("unsupported: {what}")]
    Unsupported {
        /// What is not supported, and why.
        what: String,
    },
    /// The declared structure itself is invalid (chunks that do not tile the shape...; client
    /// error).
    #[error("invalid array structure: {reason}")]
    Structure {
        /// Why.
        reason: String,
    },
    /// An upload whose byte count does not match what was declared (client error).
    #[error("expected {expected} bytes ({what}), got {actual}")]
    Length {
        /// What the bytes should have been (`"the whole array of shape [..]"`, `"block [..]"`).
        what: String,
        /// The byte count required.
        expected: usize,
        /// The byte count received.
        actual: usize,
    },
    /// A block index outside the chunk grid (client error).
    #[error("block {block:?} is out of range (the array has {counts:?} blocks)")]
    BlockIndex {
        /// The index given.
        block: Vec<usize>,
        /// Number of blocks along each dimension.
        counts: Vec<usize>,
    },
    /// A box (one range per dimension) outside the array (client error).
    #[error("box {ranges:?} does not fit the array of shape {shape:?}")]
    Box {
        /// The ranges given.
        ranges: Vec<Range<usize>>,
        /// The shape of the array.
        shape: Vec<usize>,
    },
    /// Uploaded record batches whose schema does not match the declared one (client error).
    #[error("schema mismatch: {reason}")]
    Schema {
        /// What differs.
        reason: String,
    },
    /// A partition index outside `0..npartitions` (client error).
    #[error("partition {index} is out of range (the table has {npartitions} partitions)")]
    Partition {
        /// The index given.
        index: usize,
        /// Number of partitions of the table.
        npartitions: usize,
    },
    /// A partition that has not been written yet (client error, "404-ish").
    #[error("partition {index} has not been written")]
    NotWritten {
        /// The index given.
        index: usize,
    },
    /// A file-system operation failed (server error).
    #[error("{op} {path}: {source}")]
    Io {
        /// The operation (`"create"`, `"rename"`, ...).
        op: &'static str,
        /// The path it was applied to.
        path: PathBuf,
        /// The error of the operating system.
        #[source]
        source: io::Error,
    },
    /// Stored data that does not match what the caller declared, or that cannot be read
    /// (server error).
    #[error("stored data at {path} is inconsistent: {reason}")]
    Corrupt {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The Zarr library failed (server error).
    #[error("zarr: {0}")]
    Zarr(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The Parquet library failed (server error).
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// An Arrow operation failed (server error).
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

impl StorageError {
    /// True for the caller's mistakes (validation failures, conflicts, not found: 4xx), false
    /// for failures of the storage itself (I/O, corrupt files, library errors: 5xx).
    pub fn is_client_error(&self) -> bool {
        matches!(
            self,
            StorageError::InvalidLocation { .. }
                | StorageError::NotFound { .. }
                | StorageError::AlreadyExists { .. }
                | StorageError::Unsupported { .. }
                | StorageError::Structure { .. }
                | StorageError::Length { .. }
                | StorageError::BlockIndex { .. }
                | StorageError::Box { .. }
                | StorageError::Schema { .. }
                | StorageError::Partition { .. }
                | StorageError::NotWritten { .. }
        )
    }

    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> StorageError {
        let path = path.into();
        move |source| StorageError::Io { op, path, source }
    }

    pub(crate) fn zarr(e: impl std::error::Error + Send + Sync + 'static) -> StorageError {
        StorageError::Zarr(Box::new(e))
    }
}
