//! Arrays stored as Zarr v3 through the `zarrs` crate, one Zarr chunk per declared chunk.

use std::borrow::Cow;
use std::io::Write;
use std::num::{NonZeroU32, NonZeroU64};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tessera_core::array::byte_count;
use tessera_core::{ArrayStructure, DataType, NdArray, TimeUnit};
use zarrs::array::codec::{BytesCodec, ZstdCodec};
use zarrs::array::data_type as zdt;
use zarrs::array::{Array, ArrayBuilder, ArrayBytes, ArraySubset, FillValue};
use zarrs::filesystem::FilesystemStore;
use zarrs::storage::byte_range::ByteRangeIterator;
use zarrs::storage::{
    Bytes, MaybeBytesIterator, OffsetBytesIterator, ReadableStorageTraits, StorageError as ZarrStoreError,
    StoreKey, StorePrefix, WritableStorageTraits,
};

use crate::StorageError;
#[cfg(unix)]
use crate::chunk_file::RawChunkReader;
use crate::fsutil;
use crate::upload::{ArrayUpload, UploadPlan};

/// zstd level of the chunks: -1, zstd's fastest regular level ("--fast=1"). Negative levels
/// leave literals uncompressed (no Huffman stage), so chunks decode at several GB/s, close to
/// reading the bytes, and encode about ten times faster than level 1; what they give up is
/// the entropy coding of literals (level 1 saved 6 % on random float64, -1 saves nothing;
/// repetitive data still compresses through matches). zarr-python decodes any level.
const ZSTD_LEVEL: i32 = -1;

/// A Zarr store over a directory whose writes are atomic: each value is written to a
/// temporary key (`.tmp-<uuid>` in the same directory), flushed to disk, then renamed over
/// its key. `zarrs`' `FilesystemStore` writes in place (truncate + write), so a crash or a
/// concurrent reader could see half a chunk; through this wrapper a chunk is either the old
/// one or the new one.
#[derive(Debug)]
pub(crate) struct AtomicStore {
    inner: FilesystemStore,
}

impl AtomicStore {
    pub(crate) fn new(dir: &Path) -> Result<Self, StorageError> {
        let inner = FilesystemStore::new(dir).map_err(StorageError::zarr)?;
        Ok(AtomicStore { inner })
    }
}

impl ReadableStorageTraits for AtomicStore {
    fn get_partial_many<'a>(
        &'a self,
        key: &StoreKey,
        byte_ranges: ByteRangeIterator<'a>,
    ) -> Result<MaybeBytesIterator<'a>, ZarrStoreError> {
        self.inner.get_partial_many(key, byte_ranges)
    }

    fn size_key(&self, key: &StoreKey) -> Result<Option<u64>, ZarrStoreError> {
        self.inner.size_key(key)
    }

    fn supports_get_partial(&self) -> bool {
        self.inner.supports_get_partial()
    }
}

impl WritableStorageTraits for AtomicStore {
    fn set(&self, key: &StoreKey, value: Bytes) -> Result<(), ZarrStoreError> {
        // Written with std::fs rather than through FilesystemStore::set on a temporary key:
        // that store keeps a lock entry per key it ever saw, which fresh temporary keys would
        // grow without bound on a long-lived array. Its file-handle cache is disabled, so
        // renaming behind its back is safe.
        let path = self.inner.key_to_fspath(key);
        let to_zarr = |e: StorageError| match e {
            StorageError::Io { source, .. } => ZarrStoreError::IOError(Arc::new(source)),
            other => ZarrStoreError::Other(other.to_string()),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ZarrStoreError::IOError(Arc::new(e)))?;
        }
        fsutil::write_atomic(&path, |f| f.write_all(&value).map_err(StorageError::io("write", &path)))
            .map_err(to_zarr)
    }

    fn set_partial_many(
        &self,
        key: &StoreKey,
        _offset_values: OffsetBytesIterator,
    ) -> Result<(), ZarrStoreError> {
        // Never called: supports_set_partial() is false and tessera writes whole chunks only.
        Err(ZarrStoreError::Unsupported(format!("partial writes of {key} (tessera writes whole chunks)")))
    }

    fn erase(&self, key: &StoreKey) -> Result<(), ZarrStoreError> {
        // An unlink is atomic already.
        self.inner.erase(key)
    }

    fn erase_prefix(&self, prefix: &StorePrefix) -> Result<(), ZarrStoreError> {
        self.inner.erase_prefix(prefix)
    }

    fn supports_set_partial(&self) -> bool {
        false
    }
}

/// The Zarr data type of a tessera data type, or `Unsupported`.
pub(crate) fn zarr_data_type(dt: &DataType) -> Result<zarrs::array::DataType, StorageError> {
    let unsupported = |why: &str| StorageError::Unsupported {
        what: format!("arrays of dtype {} cannot be stored as Zarr v3: {why}", dt.numpy_str()),
    };
    Ok(match dt {
        DataType::Bool => zdt::bool(),
        DataType::Int8 => zdt::int8(),
        DataType::Int16 => zdt::int16(),
        DataType::Int32 => zdt::int32(),
        DataType::Int64 => zdt::int64(),
        DataType::UInt8 => zdt::uint8(),
        DataType::UInt16 => zdt::uint16(),
        DataType::UInt32 => zdt::uint32(),
        DataType::UInt64 => zdt::uint64(),
        DataType::Float16 => zdt::float16(),
        DataType::Float32 => zdt::float32(),
        DataType::Float64 => zdt::float64(),
        DataType::Complex64 => zdt::complex64(),
        DataType::Complex128 => zdt::complex128(),
        DataType::Datetime64(u) => {
            Arc::new(zdt::NumpyDateTime64DataType::new(time_unit(*u), NonZeroU32::MIN)).into()
        }
        DataType::Timedelta64(u) => {
            Arc::new(zdt::NumpyTimeDelta64DataType::new(time_unit(*u), NonZeroU32::MIN)).into()
        }
        DataType::Unicode(n) => {
            let bytes = u64::try_from(n * 4)
                .ok()
                .and_then(NonZeroU64::new)
                .ok_or_else(|| unsupported("zero-width strings"))?;
            Arc::new(zdt::FixedLengthUTF32DataType::new(bytes).map_err(|e| unsupported(&e.to_string()))?)
                .into()
        }
        DataType::Bytes(_) => {
            return Err(unsupported(
                "zarrs 0.23 has no fixed-width byte-string data type that zarr-python reads as numpy |S",
            ));
        }
        DataType::Record { .. } => {
            return Err(unsupported("zarrs 0.23 has no structured data type"));
        }
        _ => return Err(unsupported("unknown data type")),
    })
}

fn time_unit(u: TimeUnit) -> zdt::NumpyTimeUnit {
    use zdt::NumpyTimeUnit as N;
    match u {
        TimeUnit::Year => N::Year,
        TimeUnit::Month => N::Month,
        TimeUnit::Week => N::Week,
        TimeUnit::Day => N::Day,
        TimeUnit::Hour => N::Hour,
        TimeUnit::Minute => N::Minute,
        TimeUnit::Second => N::Second,
        TimeUnit::Millisecond => N::Millisecond,
        TimeUnit::Microsecond => N::Microsecond,
        TimeUnit::Nanosecond => N::Nanosecond,
    }
}

/// The regular Zarr chunk shape of a Tiled chunk layout: every chunk of a dimension has the
/// length of the first, except the last which may be shorter. A zero-length dimension (chunks
/// `[0]`) gets chunk length 1 (Zarr chunk lengths are positive; there are no chunks there).
pub(crate) fn zarr_chunk_shape(s: &ArrayStructure) -> Result<Vec<u64>, StorageError> {
    s.validate().map_err(|e| StorageError::Structure { reason: e.to_string() })?;
    s.chunks
        .iter()
        .enumerate()
        .map(|(dim, c)| {
            let first = c.first().copied().unwrap_or(0);
            if first == 0 {
                return Ok(1);
            }
            let (last, body) = c.split_last().unwrap_or((&first, &[]));
            if body.iter().any(|&x| x != first) || *last > first {
                return Err(StorageError::Unsupported {
                    what: format!(
                        "chunks {c:?} of dimension {dim} are not a regular grid (equal chunks, the last one \
                         possibly shorter), which Zarr v3 requires"
                    ),
                });
            }
            Ok(first as u64)
        })
        .collect()
}

/// Writes `zarr.json` of a new array into the (empty, temporary) directory `dir`.
pub(crate) fn create_metadata(dir: &Path, s: &ArrayStructure) -> Result<(), StorageError> {
    let chunk_shape = zarr_chunk_shape(s)?;
    let data_type = zarr_data_type(&s.data_type)?;
    let store = Arc::new(AtomicStore::new(dir)?);
    let shape: Vec<u64> = s.shape.iter().map(|&d| d as u64).collect();
    let mut builder =
        ArrayBuilder::new(shape, chunk_shape, data_type, FillValue::new(vec![0u8; s.data_type.itemsize()]));
    builder
        .array_to_bytes_codec(Arc::new(BytesCodec::little()))
        .bytes_to_bytes_codecs(vec![Arc::new(ZstdCodec::new(ZSTD_LEVEL, false))]);
    if let Some(dims) = &s.dims {
        builder.dimension_names(Some(dims.iter().map(String::as_str)));
    }
    let array = builder.build(store, "/").map_err(StorageError::zarr)?;
    array.store_metadata().map_err(StorageError::zarr)
}

/// An array stored as Zarr v3: one Zarr chunk per declared (Tiled) chunk.
///
/// Cheap to clone (shared state); `Send + Sync`, so several threads may write different blocks
/// at once.
#[derive(Clone, Debug)]
pub struct ZarrArray {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    structure: ArrayStructure,
    chunk_shape: Vec<usize>,
    array: Array<AtomicStore>,
    dir: PathBuf,
    /// The codecs are tessera's own (`bytes` little-endian, then `zstd`), the fill value is
    /// all zero bytes and there is no storage transformer: reads decode chunk files straight
    /// into the output ([`ZarrArray::read_box`]) rather than through `zarrs`.
    direct: bool,
}

impl ZarrArray {
    /// Opens the array in `dir`, checking that it matches `structure`.
    pub(crate) fn open(dir: &Path, structure: &ArrayStructure) -> Result<ZarrArray, StorageError> {
        let chunk_shape = zarr_chunk_shape(structure)?;
        let expected_type = zarr_data_type(&structure.data_type)?;
        let store = Arc::new(AtomicStore::new(dir)?);
        let array = Array::open(store, "/").map_err(StorageError::zarr)?;
        let corrupt = |reason: String| StorageError::Corrupt { path: dir.to_path_buf(), reason };
        let shape: Vec<u64> = structure.shape.iter().map(|&d| d as u64).collect();
        if array.shape() != shape.as_slice() {
            return Err(corrupt(format!("shape {:?}, declared {:?}", array.shape(), structure.shape)));
        }
        if array.data_type() != &expected_type {
            return Err(corrupt(format!(
                "data type {:?}, declared {}",
                array.data_type(),
                structure.data_type
            )));
        }
        let meta = serde_json::to_value(array.metadata()).map_err(StorageError::zarr)?;
        let stored_chunks = &meta["chunk_grid"]["configuration"]["chunk_shape"];
        if *stored_chunks != serde_json::json!(chunk_shape) {
            return Err(corrupt(format!(
                "chunk shape {stored_chunks}, declared chunks {:?}",
                structure.chunks
            )));
        }
        let codecs = meta["codecs"].as_array().map(Vec::as_slice).unwrap_or_default();
        let direct = matches!(codecs, [bytes, zstd]
            if bytes["name"] == "bytes"
                && matches!(bytes["configuration"]["endian"].as_str(), None | Some("little"))
                && zstd["name"] == "zstd")
            && meta["storage_transformers"].as_array().is_none_or(Vec::is_empty)
            && array.fill_value().as_ne_bytes().iter().all(|&b| b == 0)
            && !structure.shape.is_empty();
        Ok(ZarrArray {
            inner: Arc::new(Inner {
                structure: structure.clone(),
                chunk_shape: chunk_shape.iter().map(|&c| c as usize).collect(),
                array,
                dir: dir.to_path_buf(),
                direct,
            }),
        })
    }

    /// The declared structure.
    pub fn structure(&self) -> &ArrayStructure {
        &self.inner.structure
    }

    /// The directory holding `zarr.json` and the chunks.
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    /// Bytes on disk (metadata and chunks).
    pub fn byte_size(&self) -> u64 {
        fsutil::dir_size(&self.inner.dir)
    }

    /// Writes the whole array from raw little-endian C-order bytes (what the Tiled client
    /// PUTs to `array/full`). Each chunk lands atomically; chunks equal to the fill value
    /// (all zeros) are removed rather than written, as Zarr does.
    ///
    /// # Errors
    /// [`StorageError::Length`] (nothing written) when `bytes` is not exactly shape product ×
    /// itemsize; I/O or Zarr errors otherwise (some chunks may then be written).
    pub fn write_full(&self, bytes: &[u8]) -> Result<(), StorageError> {
        let mut upload = self.upload_full()?;
        upload.check_len(bytes.len())?;
        upload.write(bytes)?;
        upload.finish()
    }

    /// Starts a streaming write of the whole array: feed the raw little-endian C-order bytes
    /// (what the Tiled client PUTs to `array/full`) to [`ArrayUpload::write`] as they arrive,
    /// then [`ArrayUpload::finish`]. Chunks are written while the bytes come; none is renamed
    /// into place before all of them came, so a short or failed upload changes nothing.
    /// Chunks equal to the fill value (all zeros) are removed rather than written, as Zarr
    /// does.
    ///
    /// # Errors
    /// [`StorageError::Structure`] when the structure's byte count overflows.
    pub fn upload_full(&self) -> Result<ArrayUpload, StorageError> {
        let s = &self.inner.structure;
        let offset = vec![0; s.shape.len()];
        let what = format!("the whole array of shape {:?} and dtype {}", s.shape, s.data_type);
        self.upload_box(what, offset, s.shape.clone(), None)
    }

    /// Starts a streaming write of one block (= one Zarr chunk), as
    /// [`ZarrArray::upload_full`] does for the whole array. The chunk is renamed into place
    /// at [`ArrayUpload::finish`], so readers see the old block or the new one, and
    /// concurrent writers of different blocks all land.
    ///
    /// # Errors
    /// [`StorageError::BlockIndex`] when `block` has the wrong length or is out of range.
    pub fn upload_block(&self, block: &[usize]) -> Result<ArrayUpload, StorageError> {
        let s = &self.inner.structure;
        let counts = s.block_counts();
        if block.len() != counts.len() || block.iter().zip(&counts).any(|(&b, &n)| b >= n) {
            return Err(StorageError::BlockIndex { block: block.to_vec(), counts });
        }
        let (offset, bshape) = s.block_region(block);
        let what = format!("block {block:?} of shape {bshape:?} and dtype {}", s.data_type);
        self.upload_box(what, offset, bshape, Some(block.to_vec()))
    }

    fn upload_box(
        &self,
        what: String,
        offset: Vec<usize>,
        shape: Vec<usize>,
        block: Option<Vec<usize>>,
    ) -> Result<ArrayUpload, StorageError> {
        let s = &self.inner.structure;
        let expected = byte_count(&s.data_type, &shape)
            .map_err(|e| StorageError::Structure { reason: e.to_string() })?;
        if !self.inner.direct || shape.contains(&0) {
            return Ok(ArrayUpload::buffered(what, self.clone(), block, expected));
        }
        let plan = UploadPlan {
            box_offset: offset,
            box_shape: shape,
            chunk: self.inner.chunk_shape.clone(),
            itemsize: s.data_type.itemsize(),
            level: ZSTD_LEVEL,
            whole: block.is_none().then(|| self.inner.dir.clone()),
        };
        let array = self.clone();
        Ok(ArrayUpload::streaming(what, plan, Box::new(move |idx| array.chunk_path(idx))))
    }

    /// The file of chunk `idx`.
    fn chunk_path(&self, idx: &[usize]) -> PathBuf {
        let key = self.inner.array.chunk_key(&idx.iter().map(|&i| i as u64).collect::<Vec<_>>());
        self.inner.array.storage().inner.key_to_fspath(&key)
    }

    /// [`ZarrArray::write_full`] through zarrs, for arrays this crate does not lay out itself.
    pub(crate) fn store_full(&self, bytes: &[u8]) -> Result<(), StorageError> {
        let s = &self.inner.structure;
        if s.shape.contains(&0) {
            return Ok(());
        }
        let counts = s.block_counts();
        let nblocks: usize = counts.iter().product();
        self.in_parallel(nblocks, "a writer", |i| {
            self.store_block_from(&unravel(i, &counts), bytes, &s.shape)
        })
    }

    /// Runs `task(i)` for every `i` in `0..n` on up to one thread per core, and returns the
    /// first error (a thread stops at its error; the others go on until the tasks run out).
    fn in_parallel(
        &self,
        n: usize,
        who: &str,
        task: impl Fn(usize) -> Result<(), StorageError> + Sync,
    ) -> Result<(), StorageError> {
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || -> Result<(), StorageError> {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= n {
                    return Ok(());
                }
                task(i)?;
            }
        };
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(n);
        if workers <= 1 {
            return work();
        }
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
            let mut result = Ok(());
            for h in handles {
                let r = h.join().unwrap_or_else(|_| {
                    Err(StorageError::Corrupt {
                        path: self.inner.dir.clone(),
                        reason: format!("{who} thread panicked"),
                    })
                });
                if result.is_ok() {
                    result = r;
                }
            }
            result
        })
    }

    /// Writes one block (= one Zarr chunk) from raw little-endian C-order bytes. The chunk
    /// file is written to a temporary name and renamed into place, so readers see the old
    /// block or the new one; concurrent writers of different blocks all land.
    ///
    /// # Errors
    /// [`StorageError::BlockIndex`] when `block` has the wrong length or is out of range,
    /// [`StorageError::Length`] when `bytes` is not the block's element count × itemsize
    /// (nothing is written in both cases); I/O or Zarr errors otherwise.
    pub fn write_block(&self, block: &[usize], bytes: &[u8]) -> Result<(), StorageError> {
        let mut upload = self.upload_block(block)?;
        upload.check_len(bytes.len())?;
        upload.write(bytes)?;
        upload.finish()
    }

    /// [`ZarrArray::write_block`] through zarrs, for arrays this crate does not lay out itself.
    pub(crate) fn store_block(&self, block: &[usize], bytes: &[u8]) -> Result<(), StorageError> {
        let (_, bshape) = self.inner.structure.block_region(block);
        if bshape.contains(&0) {
            return Ok(());
        }
        // The block's bytes are a whole source array of the block's shape.
        let origin = vec![0; bshape.len()];
        self.store_chunk_region(block, bytes, &bshape, &origin, &bshape)
    }

    /// Stores block `block` taken from `src` (C-order, shape `src_shape`; the block's region
    /// starts at the block's offset).
    fn store_block_from(&self, block: &[usize], src: &[u8], src_shape: &[usize]) -> Result<(), StorageError> {
        let (offset, bshape) = self.inner.structure.block_region(block);
        self.store_chunk_region(block, src, src_shape, &offset, &bshape)
    }

    /// Stores the region (`offset`, `region` shape) of `src` as chunk `block`, padded with the
    /// fill value up to the Zarr chunk shape (edge chunks).
    fn store_chunk_region(
        &self,
        block: &[usize],
        src: &[u8],
        src_shape: &[usize],
        offset: &[usize],
        region: &[usize],
    ) -> Result<(), StorageError> {
        let itemsize = self.inner.structure.data_type.itemsize();
        let chunk = &self.inner.chunk_shape;
        let indices: Vec<u64> = block.iter().map(|&b| b as u64).collect();
        let data: Cow<'_, [u8]> = match contiguous_range(src_shape, offset, region) {
            Some(r) if region == chunk.as_slice() => {
                Cow::Borrowed(&src[r.start * itemsize..r.end * itemsize])
            }
            _ => {
                let n: usize = chunk.iter().product();
                let mut buf = vec![0u8; n * itemsize];
                copy_box(src, src_shape, offset, &mut buf, chunk, &vec![0; chunk.len()], region, itemsize);
                Cow::Owned(buf)
            }
        };
        self.inner.array.store_chunk(&indices, ArrayBytes::new_flen(data)).map_err(StorageError::zarr)
    }

    /// The C-order elements of a box (one half-open range per dimension), of the declared
    /// dtype. Unwritten chunks read as zeros (the fill value); the box may span any chunks.
    ///
    /// # Errors
    /// [`StorageError::Box`] when the number of ranges is not the number of dimensions or a
    /// range falls outside the shape (or is reversed); I/O or Zarr errors otherwise.
    pub fn read_box(&self, ranges: &[Range<usize>]) -> Result<NdArray, StorageError> {
        self.read_box_inner(ranges, None)
    }

    /// [`ZarrArray::read_box`] for a sequence of boxes read in order along the first axis
    /// (an export's slabs): chunk readers are kept in `cursors` between boxes, so a chunk that
    /// several boxes cross is decoded once rather than from its start for each.
    ///
    /// # Errors
    /// As [`ZarrArray::read_box`].
    pub fn read_box_with(
        &self,
        ranges: &[Range<usize>],
        cursors: &ChunkCursors,
    ) -> Result<NdArray, StorageError> {
        self.read_box_inner(ranges, Some(cursors))
    }

    /// Whether boxes are read straight from the chunk files (tessera's own layout) rather
    /// than through zarrs: then any box costs about what it holds, and callers need not widen
    /// reads to whole chunks.
    pub fn reads_in_place(&self) -> bool {
        self.inner.direct
    }

    fn read_box_inner(
        &self,
        ranges: &[Range<usize>],
        cursors: Option<&ChunkCursors>,
    ) -> Result<NdArray, StorageError> {
        let s = &self.inner.structure;
        if ranges.len() != s.shape.len()
            || ranges.iter().zip(&s.shape).any(|(r, &d)| r.start > r.end || r.end > d)
        {
            return Err(StorageError::Box { ranges: ranges.to_vec(), shape: s.shape.clone() });
        }
        let out_shape: Vec<usize> = ranges.iter().map(|r| r.end - r.start).collect();
        if out_shape.contains(&0) {
            return NdArray::zeros(s.data_type.clone(), out_shape)
                .map_err(|e| StorageError::Structure { reason: e.to_string() });
        }
        let raw = if self.inner.direct {
            crate::pool::into_buffer(self.read_box_direct(ranges, &out_shape, cursors)?)
        } else {
            let subset = ArraySubset::new_with_ranges(
                &ranges.iter().map(|r| r.start as u64..r.end as u64).collect::<Vec<_>>(),
            );
            let bytes: ArrayBytes<'static> =
                self.inner.array.retrieve_array_subset(&subset).map_err(StorageError::zarr)?;
            arrow::buffer::Buffer::from_vec(bytes.into_fixed().map_err(StorageError::zarr)?.into_owned())
        };
        NdArray::new(s.data_type.clone(), out_shape, raw)
            .map_err(|e| StorageError::Corrupt { path: self.inner.dir.clone(), reason: e.to_string() })
    }

    /// The bytes of the (non-empty, valid) box `ranges`, each chunk streamed from its file
    /// straight into the output (through a zstd decoder, or by position for raw-block chunks,
    /// skipping what the box does not need): no buffer of a whole chunk, encoded or decoded,
    /// and chunks read in parallel (one thread per core). Missing chunks read as zeros (the
    /// fill value).
    fn read_box_direct(
        &self,
        ranges: &[Range<usize>],
        out_shape: &[usize],
        cursors: Option<&ChunkCursors>,
    ) -> Result<Vec<u8>, StorageError> {
        let itemsize = self.inner.structure.data_type.itemsize();
        let chunk = &self.inner.chunk_shape;
        let len = out_shape.iter().product::<usize>() * itemsize;
        // Every byte of the box belongs to one chunk and is written by its decoder (zeros for
        // missing chunks), so a reused buffer's old contents never show.
        let mut out = crate::pool::take(len);
        let first: Vec<usize> = ranges.iter().zip(chunk).map(|(r, &c)| r.start / c).collect();
        let counts: Vec<usize> =
            ranges.iter().zip(chunk).zip(&first).map(|((r, &c), &f)| (r.end - 1) / c + 1 - f).collect();
        let nchunks: usize = counts.iter().product();
        let target = OutPtr(out.as_mut_ptr(), len);
        self.in_parallel(nchunks, "a reader", |i| {
            let idx: Vec<usize> = unravel(i, &counts).iter().zip(&first).map(|(&k, &f)| k + f).collect();
            self.decode_chunk_into(&idx, ranges, out_shape, &target, cursors)
        })?;
        Ok(out)
    }

    /// Decodes chunk `idx` and writes its part inside the box `ranges` into `out` (the box's
    /// C-order bytes, shape `out_shape`). The rows (along the last dimension) the box needs are
    /// read in order, skipping between them; decoding stops after the last one. With
    /// `cursors`, the chunk's reader is taken from there if it has not passed the first byte
    /// needed, and left there for the next box (a box further along the first axis continues
    /// where this one stopped, rather than decoding the chunk from its start again).
    fn decode_chunk_into(
        &self,
        idx: &[usize],
        ranges: &[Range<usize>],
        out_shape: &[usize],
        out: &OutPtr,
        cursors: Option<&ChunkCursors>,
    ) -> Result<(), StorageError> {
        let itemsize = self.inner.structure.data_type.itemsize();
        let chunk = &self.inner.chunk_shape;
        let nd = chunk.len();
        let path = self.chunk_path(idx);
        let corrupt = |e: std::io::Error| StorageError::Corrupt {
            path: path.clone(),
            reason: format!("the chunk does not decode as zstd of {chunk:?} elements: {e}"),
        };
        let content_len = (chunk.iter().product::<usize>() * itemsize) as u64;
        let open = || -> Result<Cursor, StorageError> {
            let reader = match std::fs::File::open(&path) {
                Ok(f) => ChunkReader::open(f, content_len).map_err(corrupt)?,
                // Never written (or all zeros): its part of the box is the fill value, 0.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => ChunkReader::Missing,
                Err(e) => return Err(StorageError::io("open", &path)(e)),
            };
            Ok(Cursor { reader, pos: 0 })
        };
        // The part of the box in this chunk, in chunk coordinates, and where it goes.
        let origin: Vec<usize> = idx.iter().zip(chunk).map(|(&i, &c)| i * c).collect();
        let lo: Vec<usize> = ranges.iter().zip(&origin).map(|(r, &o)| r.start.max(o) - o).collect();
        let hi: Vec<usize> =
            ranges.iter().zip(&origin).zip(chunk).map(|((r, &o), &c)| r.end.min(o + c) - o).collect();
        let row = chunk[nd - 1] * itemsize;
        let (skip_front, take) = (lo[nd - 1] * itemsize, (hi[nd - 1] - lo[nd - 1]) * itemsize);
        // Content offset of chunk row `at` (outer-dimension indices, chunk coordinates).
        let row_offset = |at: &[usize]| -> u64 {
            let mut linear = 0;
            for (k, &a) in at.iter().enumerate() {
                linear = linear * chunk[k] + a;
            }
            (linear * row + skip_front) as u64
        };
        // Output strides, in elements.
        let mut strides = vec![1usize; nd];
        for k in (0..nd - 1).rev() {
            strides[k] = strides[k + 1] * out_shape[k + 1];
        }
        let first_needed = row_offset(&lo[..nd - 1]);
        let mut cursor = match cursors.and_then(|c| c.take(idx)) {
            Some(c) if c.pos <= first_needed => c,
            _ => open()?,
        };
        // The rows of the box part in C order: an odometer over the outer dimensions.
        let mut at: Vec<usize> = lo[..nd - 1].to_vec();
        loop {
            let offset = row_offset(&at);
            cursor.skip_to(offset).map_err(corrupt)?;
            let mut out_offset = lo[nd - 1] + origin[nd - 1] - ranges[nd - 1].start;
            for k in 0..nd - 1 {
                out_offset += (at[k] + origin[k] - ranges[k].start) * strides[k];
            }
            let start = out_offset * itemsize;
            if start + take > out.1 {
                // Unreachable: the part of the box in a chunk lies in the box.
                return Err(StorageError::Corrupt {
                    path: path.clone(),
                    reason: "a chunk row outside the box".into(),
                });
            }
            // SAFETY: `out.0` points to `out.1` bytes that outlive this call (the caller
            // holds the vector until every thread is joined); [start, start + take) is in
            // bounds (checked above) and belongs to this chunk's part of the box, which no
            // other chunk (so no other thread) writes, and nothing reads it meanwhile.
            let dst = unsafe { std::slice::from_raw_parts_mut(out.0.add(start), take) };
            // Every byte is written: the buffer may be a reused one.
            cursor.read_exact(dst).map_err(corrupt)?;
            // Next row of the box part.
            let mut k = nd - 1;
            loop {
                if k == 0 {
                    if let Some(c) = cursors {
                        c.put(idx, cursor);
                    }
                    return Ok(());
                }
                k -= 1;
                at[k] += 1;
                if at[k] < hi[k] {
                    break;
                }
                at[k] = lo[k];
            }
        }
    }
}

/// A chunk's reader and its position in the chunk's content.
struct Cursor {
    reader: ChunkReader,
    pos: u64,
}

impl Cursor {
    fn skip_to(&mut self, offset: u64) -> std::io::Result<()> {
        if offset < self.pos {
            return Err(std::io::Error::other("a chunk reader cannot go back"));
        }
        self.reader.skip((offset - self.pos) as usize)?;
        self.pos = offset;
        Ok(())
    }

    fn read_exact(&mut self, dst: &mut [u8]) -> std::io::Result<()> {
        self.reader.read_exact(dst)?;
        self.pos += dst.len() as u64;
        Ok(())
    }
}

/// Chunk readers kept between the boxes of one sequential read (an export reading an array
/// slab after slab along its first axis), for [`ZarrArray::read_box_with`]: each chunk is then
/// decoded once, however many boxes cross it. At most [`ChunkCursors::MAX`] are kept (each
/// holds a file and, for a compressed chunk, a decoder's buffers).
#[derive(Default)]
pub struct ChunkCursors {
    open: std::sync::Mutex<std::collections::HashMap<Vec<usize>, Cursor>>,
}

impl std::fmt::Debug for ChunkCursors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.open.lock().map_or(0, |m| m.len());
        f.debug_struct("ChunkCursors").field("open", &n).finish()
    }
}

impl ChunkCursors {
    /// The most chunk readers kept.
    pub const MAX: usize = 64;

    fn take(&self, idx: &[usize]) -> Option<Cursor> {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).remove(idx)
    }

    fn put(&self, idx: &[usize], cursor: Cursor) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() < Self::MAX {
            open.insert(idx.to_vec(), cursor);
        }
    }
}

/// How one chunk file's content is read, in order.
enum ChunkReader {
    /// No file: the chunk is all fill value (zeros).
    Missing,
    /// A compressed frame, decoded as it is read.
    Zstd(Box<zstd::stream::read::Decoder<'static, std::io::BufReader<std::fs::File>>>),
    /// Raw blocks, read by position.
    #[cfg(unix)]
    Raw(RawChunkReader),
}

impl ChunkReader {
    /// The reader of a chunk file of `len` content bytes.
    fn open(file: std::fs::File, len: u64) -> std::io::Result<Self> {
        #[cfg(unix)]
        let file = match RawChunkReader::open(file, len)? {
            Ok(raw) => return Ok(ChunkReader::Raw(raw)),
            Err(file) => file,
        };
        #[cfg(not(unix))]
        let _ = len;
        Ok(ChunkReader::Zstd(Box::new(zstd::stream::read::Decoder::new(file)?)))
    }

    /// Skips `n` bytes of content.
    fn skip(&mut self, n: usize) -> std::io::Result<()> {
        match self {
            ChunkReader::Missing => Ok(()),
            ChunkReader::Zstd(d) => {
                let copied = std::io::copy(&mut std::io::Read::take(d, n as u64), &mut std::io::sink())?;
                if copied != n as u64 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                Ok(())
            }
            #[cfg(unix)]
            ChunkReader::Raw(r) => r.skip(n),
        }
    }

    /// Fills `dst` with the next bytes of content (every byte: the buffer may be reused).
    fn read_exact(&mut self, dst: &mut [u8]) -> std::io::Result<()> {
        match self {
            ChunkReader::Missing => {
                dst.fill(0);
                Ok(())
            }
            ChunkReader::Zstd(d) => std::io::Read::read_exact(d, dst),
            #[cfg(unix)]
            ChunkReader::Raw(r) => r.read_exact(dst),
        }
    }
}

/// The output buffer of [`ZarrArray::read_box_direct`], shared by its reading threads, each of
/// which writes only the bytes of its own chunks.
struct OutPtr(*mut u8, usize);

// SAFETY: the threads write disjoint byte ranges (see `decode_chunk_into`), and the buffer
// outlives them (scoped threads).
unsafe impl Send for OutPtr {}
// SAFETY: as above.
unsafe impl Sync for OutPtr {}

/// Block index `i` (C order) of a grid with `counts` blocks per dimension.
fn unravel(mut i: usize, counts: &[usize]) -> Vec<usize> {
    let mut out = vec![0; counts.len()];
    for (o, &n) in out.iter_mut().zip(counts).rev() {
        *o = i % n;
        i /= n;
    }
    out
}

/// The element range of `src` that a region covers when it is contiguous in C order.
fn contiguous_range(shape: &[usize], offset: &[usize], region: &[usize]) -> Option<Range<usize>> {
    // Contiguous iff, after the first dimension where the region is longer than 1, every
    // dimension is covered entirely.
    let first = region.iter().position(|&r| r != 1).unwrap_or(region.len());
    if (first + 1..region.len()).any(|k| region[k] != shape[k]) {
        return None;
    }
    let mut start = 0;
    for (k, &o) in offset.iter().enumerate() {
        start = start * shape[k] + o;
    }
    let len: usize = region.iter().product();
    Some(start..start + len)
}

/// Copies the box `region` of C-order `src` (shape `src_shape`, box at `src_off`) into
/// C-order `dst` (shape `dst_shape`, box at `dst_off`). Elements are `itemsize` bytes.
#[allow(clippy::too_many_arguments)]
pub(crate) fn copy_box(
    src: &[u8],
    src_shape: &[usize],
    src_off: &[usize],
    dst: &mut [u8],
    dst_shape: &[usize],
    dst_off: &[usize],
    region: &[usize],
    itemsize: usize,
) {
    let nd = region.len();
    if nd == 0 {
        dst[..itemsize].copy_from_slice(&src[..itemsize]);
        return;
    }
    if region.contains(&0) {
        return;
    }
    let strides = |shape: &[usize]| {
        let mut st = vec![1usize; shape.len()];
        for k in (0..shape.len().saturating_sub(1)).rev() {
            st[k] = st[k + 1] * shape[k + 1];
        }
        st
    };
    let (ss, ds) = (strides(src_shape), strides(dst_shape));
    let row = region[nd - 1] * itemsize;
    let mut idx = vec![0usize; nd - 1];
    loop {
        let mut so = src_off[nd - 1];
        let mut dof = dst_off[nd - 1];
        for k in 0..nd - 1 {
            so += (src_off[k] + idx[k]) * ss[k];
            dof += (dst_off[k] + idx[k]) * ds[k];
        }
        dst[dof * itemsize..dof * itemsize + row].copy_from_slice(&src[so * itemsize..so * itemsize + row]);
        // Odometer over the outer dimensions.
        let mut k = nd - 1;
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            idx[k] += 1;
            if idx[k] < region[k] {
                break;
            }
            idx[k] = 0;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn chunk_grids() {
        let s = ArrayStructure::regular(DataType::Float64, vec![10, 7], &[3, 7]);
        assert_eq!(zarr_chunk_shape(&s).unwrap(), vec![3, 7]);
        let mut irregular = s.clone();
        irregular.chunks[0] = vec![2, 3, 5];
        let e = zarr_chunk_shape(&irregular).unwrap_err();
        assert!(e.is_client_error() && matches!(e, StorageError::Unsupported { .. }), "{e}");
        let z = ArrayStructure::regular(DataType::Int8, vec![0, 4], &[3, 2]);
        assert_eq!(zarr_chunk_shape(&z).unwrap(), vec![1, 2]);
        let mut bad = s;
        bad.chunks[1] = vec![3];
        assert!(matches!(zarr_chunk_shape(&bad), Err(StorageError::Structure { .. })));
    }

    #[test]
    fn copy_boxes() {
        // 3x4 source, copy the 2x2 box at (1, 1) to (0, 1) of a 2x3 destination.
        let src: Vec<u8> = (0..12).collect();
        let mut dst = vec![99u8; 6];
        copy_box(&src, &[3, 4], &[1, 1], &mut dst, &[2, 3], &[0, 1], &[2, 2], 1);
        assert_eq!(dst, [99, 5, 6, 99, 9, 10]);
        assert_eq!(contiguous_range(&[3, 4], &[1, 0], &[2, 4]), Some(4..12));
        assert_eq!(contiguous_range(&[3, 4], &[1, 1], &[1, 2]), Some(5..7));
        assert_eq!(contiguous_range(&[3, 4], &[1, 1], &[2, 2]), None);
        assert_eq!(unravel(5, &[2, 3]), vec![1, 2]);
    }

    #[test]
    fn unsupported_dtypes() {
        for dt in [DataType::Bytes(3), DataType::Unicode(0), DataType::Record { fields: vec![], itemsize: 4 }]
        {
            let e = zarr_data_type(&dt).unwrap_err();
            assert!(e.is_client_error(), "{e}");
        }
    }
}
