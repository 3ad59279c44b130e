//! Data storage of tessera's writable catalogs: arrays as Zarr v3, tables as Parquet
//! partitions, every write landing atomically (temporary name, then rename).
//!
//! ```
//! use std::sync::Arc;
//! use arrow::array::{Int64Array, RecordBatch};
//! use arrow::datatypes::{DataType as ArrowType, Field, Schema};
//! use tessera_core::{ArrayStructure, DataType};
//! use tessera_storage::Storage;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let storage = Storage::open(dir.path()).unwrap();
//!
//! // A 4x4 int32 array in 2x2 chunks: write one block, read a box across chunks.
//! let structure = ArrayStructure::regular(DataType::Int32, vec![4, 4], &[2, 2]);
//! let array = storage.create_array("a1", &structure).unwrap();
//! let block: Vec<u8> = [1i32, 2, 3, 4].iter().flat_map(|v| v.to_le_bytes()).collect();
//! array.write_block(&[0, 1], &block).unwrap();
//! let got = array.read_box(&[1..2, 1..4]).unwrap();
//! assert_eq!(got.as_slice::<i32>().unwrap(), &[0, 3, 4]); // unwritten chunks read as zeros
//! assert!(storage.path_of("a1").unwrap().join("zarr.json").is_file());
//!
//! // A table of one partition.
//! let schema = Arc::new(Schema::new(vec![Field::new("x", ArrowType::Int64, true)]));
//! let table = storage.create_table("t1", schema.clone(), 1).unwrap();
//! let batch = RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap();
//! table.write_partition(0, &[batch]).unwrap();
//! let rows: usize = table.read_partition(0).unwrap().map(|b| b.unwrap().num_rows()).sum();
//! assert_eq!(rows, 3);
//!
//! // Validation failures are client errors, and nothing is written.
//! let err = array.write_block(&[1, 1], &[0u8; 3]).unwrap_err();
//! assert!(err.is_client_error());
//! storage.remove("t1").unwrap();
//! assert!(!storage.path_of("t1").unwrap().exists());
//! ```
//!
//! # Layout
//!
//! [`Storage`] owns a root directory; each node's data lives in the directory of its
//! *location* (a relative path the server chooses, a UUID in practice):
//!
//! - an array is a Zarr v3 array: `<location>/zarr.json` and chunk files
//!   `<location>/c/<i>/<j>/…` (default chunk key encoding, `/` separator). There is one Zarr
//!   chunk per declared (Tiled) chunk, so `PUT array/block` writes exactly one file. The
//!   codecs are `bytes` (little-endian) then `zstd` (level -1: fast to decode), the fill
//!   value is 0; a chunk that is all zeros is not stored (Zarr's default), and reads as
//!   zeros. Chunks are written straight from the upload; one that zstd cannot shrink by
//!   1/16 (noise, most measured floats) is stored as a zstd frame of raw blocks, which any
//!   zstd decoder reads and this crate reads by position. zarr-python 3
//!   (`zarr.open_array(path)`) opens the directory directly.
//! - a table is a directory of Parquet files `<location>/partition-<i>.parquet`, one per
//!   partition, each with the Arrow schema in its footer (pyarrow and pandas read them);
//!   snappy-compressed (columns snappy cannot shrink by a tenth, such as random numbers,
//!   are stored uncompressed) in row groups of [`WRITE_ROW_GROUP_ROWS`] rows (the zstd files
//!   of earlier versions read as well). Reads decode row groups in parallel, and a
//!   [`PartitionCache`] keeps decoded partitions in memory
//!   ([`Storage::with_partition_cache`]).
//!
//! # Chunk layouts
//!
//! Zarr v3's regular chunk grid has one chunk length per dimension; Tiled's chunks are a list
//! of lengths per dimension. A layout is accepted when, in every dimension, all chunks have
//! the length of the first except the last, which may be shorter (what numpy/dask chunking
//! produces); it is stored with that first length (the edge chunk is padded with the fill
//! value in the file, as Zarr does). Any other layout is refused with
//! [`StorageError::Unsupported`] (a client error). 0-d arrays (shape `[]`) are stored as a
//! single chunk.
//!
//! # Data types
//!
//! | tessera | Zarr v3 `data_type` | zarr-python reads |
//! |---|---|---|
//! | bool, int8…int64, uint8…uint64, float16/32/64, complex64/128 | core names (`bool`, `int8`, …, `complex128`) | the same numpy dtype |
//! | `datetime64[unit]` / `timedelta64[unit]` | `numpy.datetime64` / `numpy.timedelta64` (`unit`, `scale_factor` 1) | `<M8[unit]` / `<m8[unit]` |
//! | `<U n` | `fixed_length_utf32` (`length_bytes` = 4n) | `<U n` |
//! | `\|S n`, structured records | — refused: [`StorageError::Unsupported`] | |
//!
//! zarrs 0.23 has no fixed-width byte-string type that zarr-python maps back to `|S n`
//! (zarr-python's `null_terminated_bytes`) and no structured type, so those arrays are
//! refused rather than stored in a form nobody reads back the same. Big-endian data never
//! reaches this crate: [`tessera_core::DataType`] is little-endian by construction (its
//! `from_wire` refuses big-endian wire dtypes), and the raw bytes given to
//! [`ZarrArray::write_full`] / [`ZarrArray::write_block`] must be little-endian.
//!
//! # Atomicity and durability
//!
//! - A new array or table directory is built under a `.tmp-<uuid>` name next to its final
//!   place, then renamed into place: it appears whole or not at all.
//! - A chunk (block) or partition file is written to a `.tmp-<uuid>` file in its directory,
//!   flushed (`fsync`), renamed over the final name, and the directory is flushed. Readers
//!   see the old file or the new one, never half a file; concurrent writers of different
//!   blocks of one array never touch the same file. (`zarrs`' own `FilesystemStore` writes
//!   in place, so this crate wraps it in a store whose `set` writes a temporary file and
//!   renames it.)
//! - An upload that fails validation (wrong length, block out of range, wrong schema) writes
//!   nothing.
//! - [`Storage::remove`] renames the node's directory to a `.tmp-` name first, then deletes
//!   it: a crash in between leaves only a leftover that nothing refers to.
//! - [`Storage::open`] removes every `.tmp-*` file or directory under the root (leftovers of
//!   interrupted writes; they are never read). Locations may not contain a `.tmp-` component.
//!   With several server processes sharing one data directory, use [`Storage::open_shared`]
//!   with a grace period instead: it leaves alone the `.tmp-` entries younger than that, which
//!   may be another process's writes in progress ([`Storage::open`] would remove them, and
//!   that write would fail with an I/O error; nothing half-written would appear).
//!
//! # Errors
//!
//! Every operation returns [`StorageError`]; [`StorageError::is_client_error`] tells the
//! caller's mistakes (4xx) from storage failures (5xx).
//!
//! # Additions to the contract of issue 6
//!
//! [`Storage::open_shared`], [`ZarrArray::path`], [`ZarrArray::byte_size`], [`ParquetTable::path`],
//! [`ParquetTable::declared_schema`], [`is_index_column`], [`READ_BATCH_ROWS`].

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod cache;
mod chunk_file;
mod error;
mod fsutil;
mod pool;
mod table;
mod upload;
mod zarr;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use tessera_core::ArrayStructure;

pub use cache::{DEFAULT_PARTITION_CACHE_BYTES, PartitionCache};
pub use error::StorageError;
pub use pool::PooledBuffer;
pub use table::{ParquetTable, READ_BATCH_ROWS, WRITE_ROW_GROUP_ROWS, is_index_column};
pub use upload::ArrayUpload;
pub use zarr::{ChunkCursors, ZarrArray};

/// The longest location accepted, in bytes.
const MAX_LOCATION_LEN: usize = 1024;

/// The data directory of a writable catalog: Zarr arrays and Parquet tables, each in the
/// directory of its location.
///
/// Cheap to clone; `Send + Sync`. All methods are blocking (call them from blocking threads).
#[derive(Clone, Debug)]
pub struct Storage {
    root: Arc<PathBuf>,
    cache: Option<Arc<PartitionCache>>,
}

impl Storage {
    /// Opens (creating if needed) the data directory `root`, and removes the temporary
    /// leftovers of interrupted writes (every file or directory whose name starts with
    /// `.tmp-`, at any depth).
    ///
    /// # Errors
    /// [`StorageError::Io`] when the directory cannot be created, read or cleaned.
    pub fn open(root: impl Into<PathBuf>) -> Result<Storage, StorageError> {
        Self::open_impl(root.into(), None)
    }

    /// Like [`Storage::open`], but removes only the temporary leftovers last modified more
    /// than `grace` ago: for a data directory shared by several server processes, where a
    /// fresh `.tmp-` entry may be another process's write in progress.
    ///
    /// # Errors
    /// [`StorageError::Io`] when the directory cannot be created, read or cleaned.
    pub fn open_shared(
        root: impl Into<PathBuf>,
        grace: std::time::Duration,
    ) -> Result<Storage, StorageError> {
        let cutoff = std::time::SystemTime::now().checked_sub(grace).unwrap_or(std::time::UNIX_EPOCH);
        Self::open_impl(root.into(), Some(cutoff))
    }

    fn open_impl(root: PathBuf, cutoff: Option<std::time::SystemTime>) -> Result<Storage, StorageError> {
        fs::create_dir_all(&root).map_err(StorageError::io("create", &root))?;
        let root = fs::canonicalize(&root).map_err(StorageError::io("resolve", &root))?;
        fsutil::remove_leftovers(&root, cutoff)?;
        Ok(Storage { root: Arc::new(root), cache: None })
    }

    /// Tables opened from now on (through this value and its clones made afterwards) read
    /// their partitions through `cache`: a partition read again from the same file is served
    /// from memory (see [`PartitionCache`] for what it keeps and why it is never stale). One
    /// cache may be shared by several storages; without one, every read decodes the file.
    pub fn with_partition_cache(mut self, cache: Arc<PartitionCache>) -> Storage {
        self.cache = Some(cache);
        self
    }

    /// The partition cache tables opened through this storage use, if any.
    pub fn partition_cache(&self) -> Option<&Arc<PartitionCache>> {
        self.cache.as_ref()
    }

    /// The (absolute) root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute directory of a location (for `data_source` asset URIs,
    /// `file://localhost/...`). It need not exist.
    ///
    /// # Errors
    /// [`StorageError::InvalidLocation`] (see [`Storage::create_array`] for the rules).
    pub fn path_of(&self, location: &str) -> Result<PathBuf, StorageError> {
        validate_location(location)?;
        Ok(self.root.join(location))
    }

    /// Creates a Zarr v3 array at `location` for `structure` (see the crate docs for the
    /// layout, chunk grids and data types), atomically: built under a `.tmp-` name, then
    /// renamed into place. No chunk is written: the array reads as zeros.
    ///
    /// `location` is a relative path: non-empty, at most 1024 bytes, only `[A-Za-z0-9._/-]`,
    /// no empty, `.` or `..` component, no component starting with `.tmp-`, not absolute.
    ///
    /// # Errors
    /// [`StorageError::InvalidLocation`], [`StorageError::AlreadyExists`] when something is
    /// stored there, [`StorageError::Unsupported`] for a data type or chunk layout Zarr v3
    /// cannot hold, [`StorageError::Structure`] for chunks that do not tile the shape (all
    /// client errors, nothing created); I/O or Zarr errors otherwise.
    pub fn create_array(
        &self,
        location: &str,
        structure: &ArrayStructure,
    ) -> Result<ZarrArray, StorageError> {
        let dir = self.path_of(location)?;
        // Refuse what Zarr cannot hold before creating anything.
        zarr::zarr_chunk_shape(structure)?;
        zarr::zarr_data_type(&structure.data_type)?;
        self.create_dir_atomically(location, &dir, |tmp| zarr::create_metadata(tmp, structure))?;
        ZarrArray::open(&dir, structure)
    }

    /// Opens the array stored at `location`, checking that its shape, data type and chunk
    /// shape match `structure`.
    ///
    /// # Errors
    /// [`StorageError::InvalidLocation`], [`StorageError::NotFound`] (client errors);
    /// [`StorageError::Corrupt`] when the stored array does not match `structure`; I/O or
    /// Zarr errors otherwise.
    pub fn open_array(&self, location: &str, structure: &ArrayStructure) -> Result<ZarrArray, StorageError> {
        let dir = self.path_of(location)?;
        if !dir.join("zarr.json").is_file() {
            return Err(StorageError::NotFound { location: location.to_owned() });
        }
        ZarrArray::open(&dir, structure)
    }

    /// Creates the (empty) directory of a table at `location`, atomically; the Parquet
    /// partitions are written later with [`ParquetTable::write_partition`].
    ///
    /// # Errors
    /// [`StorageError::InvalidLocation`], [`StorageError::AlreadyExists`],
    /// [`StorageError::Unsupported`] for a column type Parquet cannot store (client errors,
    /// nothing created); I/O errors otherwise.
    pub fn create_table(
        &self,
        location: &str,
        schema: SchemaRef,
        npartitions: usize,
    ) -> Result<ParquetTable, StorageError> {
        let dir = self.path_of(location)?;
        table::check_parquet_schema(&schema)?;
        self.create_dir_atomically(location, &dir, |_| Ok(()))?;
        ParquetTable::open(&dir, schema, npartitions, self.cache.clone())
    }

    /// Opens the table stored at `location`. Its [`ParquetTable::schema`] is read back from the
    /// first written partition, if any (so it includes index columns uploads carried).
    ///
    /// # Errors
    /// [`StorageError::InvalidLocation`], [`StorageError::NotFound`] (client errors);
    /// [`StorageError::Corrupt`] when a stored partition does not match `schema`; Parquet or
    /// I/O errors otherwise.
    pub fn open_table(
        &self,
        location: &str,
        schema: SchemaRef,
        npartitions: usize,
    ) -> Result<ParquetTable, StorageError> {
        let dir = self.path_of(location)?;
        if !dir.is_dir() {
            return Err(StorageError::NotFound { location: location.to_owned() });
        }
        ParquetTable::open(&dir, schema, npartitions, self.cache.clone())
    }

    /// Removes a node's data: its directory is renamed to a `.tmp-` name first (so a crash
    /// never leaves half a node in place), then deleted. Removing a location where nothing is
    /// stored is not an error (the call is idempotent).
    ///
    /// # Errors
    /// [`StorageError::InvalidLocation`]; I/O errors (a leftover `.tmp-` directory is then
    /// removed by the next [`Storage::open`]).
    pub fn remove(&self, location: &str) -> Result<(), StorageError> {
        let dir = self.path_of(location)?;
        let parent = dir.parent().unwrap_or(&self.root).to_path_buf();
        let tmp = parent.join(fsutil::tmp_name());
        match fs::rename(&dir, &tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StorageError::io("rename", &dir)(e)),
        }
        fsutil::sync_dir(&parent)?;
        let removed = if tmp.is_dir() { fs::remove_dir_all(&tmp) } else { fs::remove_file(&tmp) };
        removed.map_err(StorageError::io("remove", &tmp))
    }

    /// Creates `dir` (the directory of `location`) by filling a temporary directory next to it
    /// with `fill` and renaming it into place.
    fn create_dir_atomically(
        &self,
        location: &str,
        dir: &Path,
        fill: impl FnOnce(&Path) -> Result<(), StorageError>,
    ) -> Result<(), StorageError> {
        let exists = || StorageError::AlreadyExists { location: location.to_owned() };
        if fs::symlink_metadata(dir).is_ok() {
            return Err(exists());
        }
        let parent = dir.parent().unwrap_or(&self.root);
        fs::create_dir_all(parent).map_err(StorageError::io("create", parent))?;
        let tmp = parent.join(fsutil::tmp_name());
        fs::create_dir(&tmp).map_err(StorageError::io("create", &tmp))?;
        let result = fill(&tmp).and_then(|()| {
            fsutil::sync_dir(&tmp)?;
            // rename(2) replaces an empty directory silently: check again right before (the
            // remaining race is between two creators of one fresh UUID location).
            if fs::symlink_metadata(dir).is_ok() {
                return Err(exists());
            }
            fs::rename(&tmp, dir).map_err(|e| match e.kind() {
                io::ErrorKind::AlreadyExists | io::ErrorKind::DirectoryNotEmpty => exists(),
                _ => StorageError::io("rename", &tmp)(e),
            })
        });
        if result.is_err() {
            let _ = fs::remove_dir_all(&tmp);
            return result;
        }
        fsutil::sync_dir(parent)
    }
}

/// Checks a location: a relative path of `[A-Za-z0-9._-]` components separated by `/`.
fn validate_location(location: &str) -> Result<(), StorageError> {
    let bad = |reason| Err(StorageError::InvalidLocation { location: location.to_owned(), reason });
    if location.is_empty() {
        return bad("it is empty");
    }
    if location.len() > MAX_LOCATION_LEN {
        return bad("it is longer than 1024 bytes");
    }
    if !location.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-')) {
        return bad("only ASCII letters, digits and . _ / - are allowed");
    }
    if location.starts_with('/') {
        return bad("it is absolute");
    }
    for component in location.split('/') {
        match component {
            "" => return bad("it has an empty component"),
            "." | ".." => return bad("it has a . or .. component"),
            c if c.starts_with(fsutil::TMP_PREFIX) => {
                return bad("components starting with .tmp- are reserved");
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        for ok in ["a", "0190c3e0-aaaa-7bbb-8ccc-0123456789ab", "x/y.z_1", "a..b"] {
            validate_location(ok).unwrap();
        }
        for bad in ["", "/abs", "a/../b", "..", ".", "a//b", "a/", "a b", "é", "a\\b", ".tmp-x", "a/.tmp-1"]
        {
            let e = validate_location(bad).unwrap_err();
            assert!(e.is_client_error(), "{bad}: {e}");
        }
        assert!(validate_location(&"a".repeat(1025)).is_err());
    }
}
