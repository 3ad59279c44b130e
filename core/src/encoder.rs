//! The encoder traits: one object-safe trait per structure family, plus the const [`Spec`]
//! every encoder describes itself with.
//!
//! An encoder validates everything it can before writing its first byte — callers (the
//! server) rely on that to answer a client mistake with a 4xx instead of a broken stream —
//! and never needs `Seek`: formats that must buffer say so with [`Output::Buffered`].

use std::io::Write;
use std::ops::Range;

use crate::array::{NdArray, byte_count};
use crate::container::ContainerTree;
use crate::dataset::Dataset;
use crate::dtype::DataType;
use crate::error::EncodeError;
use crate::media::{MediaType, Params};
use crate::table::BatchStream;

/// The structure family an encoder serves. Tiled's families, with xarray datasets (the
/// `xarray_dataset` spec of a container) as their own family because they encode
/// differently from generic containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Family {
    /// n-d arrays.
    Array,
    /// Tables.
    Table,
    /// xarray datasets (containers with spec `xarray_dataset`).
    Dataset,
    /// Generic containers (trees of nodes).
    Container,
}

impl Family {
    /// Every family, in order.
    pub const ALL: [Family; 4] = [Family::Array, Family::Table, Family::Dataset, Family::Container];

    /// The key Tiled uses in `/api/v1/` `formats` (`array`, `table`, `xarray_dataset`,
    /// `container`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Family::Array => "array",
            Family::Table => "table",
            Family::Dataset => "xarray_dataset",
            Family::Container => "container",
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an encoder writes as it reads, or must hold the whole output first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Bytes are written as input is consumed; memory stays bounded.
    Streaming,
    /// The format needs the whole output (or a seekable file) before the first byte.
    Buffered,
}

/// What an encoder is: constant data, so listing formats costs nothing.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The canonical media type (sent as `Content-Type`).
    pub media_type: MediaType,
    /// Other names accepted in `format=`: file extensions and short names (`csv`), and
    /// other media types meaning the same bytes (`text/plain`).
    pub aliases: &'static [&'static str],
    /// The family it serves.
    pub family: Family,
    /// Streaming or buffered.
    pub output: Output,
    /// Media-type parameters it understands (`header`).
    pub params: &'static [&'static str],
    /// Rank among the family's encoders for `*/*` (lower wins; `u8::MAX` never chosen).
    pub default_rank: u8,
    /// The crate that provides it (for duplicate reports and `tessera formats`).
    pub provider: &'static str,
    /// One line for humans.
    pub description: &'static str,
}

/// An array to encode: its type, its shape, and rows read on demand, so a streaming
/// encoder can hold one slab at a time of an array far larger than memory.
pub trait ArraySource: Send + Sync {
    /// Element type.
    fn data_type(&self) -> &DataType;
    /// Shape of the whole array.
    fn shape(&self) -> &[usize];
    /// Rows `rows` along the first axis, as an array of shape `[rows.len(), shape[1..]...]`.
    /// For a 0-d array `rows` is ignored and the scalar is returned.
    ///
    /// # Errors
    /// Whatever producing the data fails with (reading storage, generating).
    fn read_rows(&self, rows: Range<usize>) -> Result<NdArray, EncodeError>;
}

impl ArraySource for NdArray {
    fn data_type(&self) -> &DataType {
        NdArray::data_type(self)
    }
    fn shape(&self) -> &[usize] {
        NdArray::shape(self)
    }
    fn read_rows(&self, rows: Range<usize>) -> Result<NdArray, EncodeError> {
        if self.ndim() == 0 || (rows.start == 0 && rows.end == self.shape()[0]) {
            return Ok(self.clone());
        }
        let row_bytes =
            byte_count(self.data_type(), &self.shape()[1..]).map_err(|e| EncodeError::Input(Box::new(e)))?;
        let end = rows.end.min(self.shape()[0]);
        let start = rows.start.min(end);
        let mut shape = self.shape().to_vec();
        shape[0] = end - start;
        let buf = self.buffer().slice_with_length(start * row_bytes, (end - start) * row_bytes);
        NdArray::new(self.data_type().clone(), shape, buf).map_err(|e| EncodeError::Input(Box::new(e)))
    }
}

/// The whole array of a source in one piece (what buffered encoders use).
///
/// # Errors
/// As [`ArraySource::read_rows`].
pub fn read_all(src: &dyn ArraySource) -> Result<NdArray, EncodeError> {
    let n = src.shape().first().copied().unwrap_or(1);
    src.read_rows(0..n)
}

/// Row ranges along the first axis of about `target_bytes` each (at least one row), for
/// streaming encoders. A 0-d or empty-first-axis array gives one range.
pub fn row_slabs(src: &dyn ArraySource, target_bytes: usize) -> impl Iterator<Item = Range<usize>> {
    let shape = src.shape();
    let rows = shape.first().copied().unwrap_or(1);
    let row_bytes = if shape.is_empty() {
        1
    } else {
        byte_count(src.data_type(), &shape[1..]).unwrap_or(usize::MAX).max(1)
    };
    let per = (target_bytes / row_bytes).max(1);
    let count = if rows == 0 { 1 } else { rows.div_ceil(per) };
    (0..count).map(move |i| (i * per).min(rows)..((i + 1) * per).min(rows))
}

/// Encodes n-d arrays.
pub trait ArrayEncoder: Send + Sync + 'static {
    /// What this encoder is.
    fn spec(&self) -> &'static Spec;

    /// Checks that the format can take an array of this type and shape with these
    /// parameters, without touching data. The server calls it before starting a response.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] or [`EncodeError::InvalidOption`].
    fn check(&self, data_type: &DataType, shape: &[usize], params: &Params) -> Result<(), EncodeError>;

    /// Writes the array.
    ///
    /// # Errors
    /// What `check` reports, before any byte; afterwards only I/O, input or backend errors.
    fn encode(
        &self,
        array: &dyn ArraySource,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError>;
}

/// Encodes tables, batch by batch.
pub trait TableEncoder: Send + Sync + 'static {
    /// What this encoder is.
    fn spec(&self) -> &'static Spec;

    /// Checks that the format can take this schema with these parameters.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] or [`EncodeError::InvalidOption`].
    fn check(&self, schema: &arrow::datatypes::Schema, params: &Params) -> Result<(), EncodeError>;

    /// Writes the table, consuming the stream.
    ///
    /// # Errors
    /// What `check` reports, before any byte; afterwards only I/O, input or backend errors.
    fn encode(
        &self,
        table: &mut dyn BatchStream,
        params: &Params,
        out: &mut dyn Write,
    ) -> Result<(), EncodeError>;
}

/// Encodes xarray-style datasets.
pub trait DatasetEncoder: Send + Sync + 'static {
    /// What this encoder is.
    fn spec(&self) -> &'static Spec;

    /// Writes the dataset.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] for variables the format cannot hold, before any byte.
    fn encode(&self, dataset: &Dataset, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError>;
}

/// Encodes container trees.
pub trait ContainerEncoder: Send + Sync + 'static {
    /// What this encoder is.
    fn spec(&self) -> &'static Spec;

    /// Writes the tree.
    ///
    /// # Errors
    /// [`EncodeError::Unsupported`] for content the format cannot hold, before any byte.
    fn encode(&self, tree: &ContainerTree, params: &Params, out: &mut dyn Write) -> Result<(), EncodeError>;
}

/// One registered encoder. Constant data, built with `inventory::submit!` or listed in a
/// crate's `REGISTRATIONS`.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Registration {
    /// An array encoder.
    Array(&'static dyn ArrayEncoder),
    /// A table encoder.
    Table(&'static dyn TableEncoder),
    /// A dataset encoder.
    Dataset(&'static dyn DatasetEncoder),
    /// A container encoder.
    Container(&'static dyn ContainerEncoder),
}

impl Registration {
    /// The encoder's spec.
    pub fn spec(&self) -> &'static Spec {
        match self {
            Registration::Array(e) => e.spec(),
            Registration::Table(e) => e.spec(),
            Registration::Dataset(e) => e.spec(),
            Registration::Container(e) => e.spec(),
        }
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.spec();
        write!(f, "Registration({}, {})", s.family, s.media_type)
    }
}

inventory::collect!(Registration);

// The traits must stay object-safe: the registry stores `&'static dyn` encoders.
fn _assert_object_safe(
    _: &dyn ArrayEncoder,
    _: &dyn TableEncoder,
    _: &dyn DatasetEncoder,
    _: &dyn ContainerEncoder,
) {
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slabs_cover_rows_exactly() {
        let a = NdArray::from_vec(vec![10, 3], (0..30i32).collect()).unwrap();
        let slabs: Vec<_> = row_slabs(&a, 24).collect();
        assert_eq!(slabs, vec![0..2, 2..4, 4..6, 6..8, 8..10]);
        let parts: Vec<i32> = slabs
            .into_iter()
            .flat_map(|r| a.read_rows(r).unwrap().as_slice::<i32>().unwrap().to_vec())
            .collect();
        assert_eq!(parts, (0..30).collect::<Vec<_>>());
        let scalar = NdArray::from_vec(vec![], vec![1.0f64]).unwrap();
        assert_eq!(row_slabs(&scalar, 1).count(), 1);
        let empty = NdArray::zeros(DataType::Float64, vec![0, 4]).unwrap();
        assert_eq!(row_slabs(&empty, 1).collect::<Vec<_>>(), vec![0..0]);
        assert_eq!(read_all(&empty).unwrap().shape(), &[0, 4]);
    }
}
