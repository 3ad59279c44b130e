//! Streaming array uploads: the bytes of a `PUT array/full` or `PUT array/block` body go into
//! the chunk files as they arrive, so receiving the body and writing it overlap, and memory
//! holds a few MiB of the body rather than all of it (4 MiB, or one slab — a row along the
//! first axis — when that is larger).
//!
//! The body is C-order, so it arrives one *slab* (one index along the first axis) after
//! another; the chunks of one chunk row along the first axis (a *band*) fill together, each
//! from its part of every slab. Each chunk streams into a temporary file (through zstd, or as
//! raw blocks: see [`crate::chunk_file`]). A band's files are flushed to disk in the
//! background once the band is complete; nothing is renamed into place before the whole body
//! has arrived and is the declared length, so a short, long or interrupted upload leaves the
//! array as it was. A whole-array upload writes into a staging copy of the chunk tree, which
//! is then exchanged with the array's in one atomic rename: every old chunk or every new one,
//! never a mix, even across a crash.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::thread::JoinHandle;

use crate::StorageError;
use crate::chunk_file::{ChunkContent, ContentSink, RawFrameWriter};
use crate::fsutil::{self, EarlyWriteback};
use crate::zarr::ZarrArray;

/// The body is handed to the chunk writers in pieces of at least this many bytes (whole slabs,
/// or the rest of a band): enough for a good compressibility sample and few calls per chunk.
const FEED_BYTES: usize = 4 << 20;

/// The zstd level of chunks whose rows are mostly padding past the array's edge.
const PADDING_LEVEL: i32 = -7;

/// A chunk's file being written: through zstd, or as raw blocks.
enum Sink {
    Zstd(zstd::stream::write::Encoder<'static, BufWriter<EarlyWriteback<File>>>),
    Raw(RawFrameWriter<BufWriter<EarlyWriteback<File>>>),
}

impl Sink {
    fn writer(&mut self) -> &mut dyn ContentSink {
        match self {
            Sink::Zstd(z) => z,
            Sink::Raw(r) => r,
        }
    }

    /// Ends the frame and returns the file, all written (not yet synced).
    fn finish(self) -> io::Result<File> {
        let out = match self {
            Sink::Zstd(z) => z.finish()?,
            Sink::Raw(r) => r.finish()?,
        };
        Ok(out.into_inner().map_err(io::IntoInnerError::into_error)?.into_inner())
    }
}

/// One chunk of the current band.
struct ChunkWrite {
    /// The chunk's file and its temporary name (beside it).
    path: PathBuf,
    tmp: PathBuf,
    /// Opened at the chunk's first bytes (the codec is chosen on them).
    sink: Option<Sink>,
    /// False until a non-zero byte is seen: an all-zero chunk is not stored.
    nonzero: bool,
    /// Its region inside the box, along the dimensions after the first: offset and length.
    offset: Vec<usize>,
    region: Vec<usize>,
}

/// A chunk file written and synced, waiting for the end of the upload to be renamed into place
/// (or, all zeros, to remove the old chunk).
struct Finished {
    path: PathBuf,
    tmp: PathBuf,
    nonzero: bool,
}

/// The sender of bands' files to sync, and the thread that syncs them and returns them all.
type Syncer = (std::sync::mpsc::Sender<Vec<(File, Finished)>>, JoinHandle<io::Result<Vec<Finished>>>);

fn spawn_syncer() -> Result<Syncer, StorageError> {
    let (sender, receiver) = std::sync::mpsc::channel::<Vec<(File, Finished)>>();
    let handle = std::thread::Builder::new()
        .name("tessera-chunk-sync".into())
        .spawn(move || {
            let mut done = Vec::new();
            for band in receiver {
                for (file, f) in band {
                    file.sync_all()?;
                    done.push(f);
                }
            }
            Ok(done)
        })
        .map_err(StorageError::io("spawn", "the chunk sync thread"))?;
    Ok((sender, handle))
}

/// Where the bytes of an upload go: a box of the array (the whole array, or one block) that
/// starts at a chunk boundary in every dimension.
#[derive(Debug, Clone)]
pub(crate) struct UploadPlan {
    /// The box: offset and shape, in array coordinates.
    pub box_offset: Vec<usize>,
    pub box_shape: Vec<usize>,
    /// The Zarr chunk shape.
    pub chunk: Vec<usize>,
    pub itemsize: usize,
    /// The zstd level of compressed chunks.
    pub level: i32,
    /// For a whole-array upload: the array's directory. Its chunks are then written into a
    /// staging directory beside them and the whole chunk tree is swapped in at once.
    pub whole: Option<PathBuf>,
}

/// An upload in progress (see the module docs), from [`ZarrArray::upload_full`] or
/// [`ZarrArray::upload_block`]. Feed it the body with [`ArrayUpload::write`] (in any pieces),
/// then call [`ArrayUpload::finish`]; dropped before that, it removes what it wrote and the
/// array is unchanged.
///
/// ```
/// # fn main() -> Result<(), tessera_storage::StorageError> {
/// use tessera_core::{ArrayStructure, DataType};
/// let dir = tempfile::tempdir().unwrap();
/// let storage = tessera_storage::Storage::open(dir.path())?;
/// let s = ArrayStructure::regular(DataType::UInt8, vec![4, 3], &[2, 2]);
/// let array = storage.create_array("a", &s)?;
/// let body: Vec<u8> = (1..=12).collect();
/// let mut upload = array.upload_full()?;
/// assert_eq!(upload.expected_len(), 12);
/// for piece in body.chunks(5) {
///     upload.write(piece)?;
/// }
/// upload.finish()?;
/// assert_eq!(array.read_box(&[0..4, 0..3])?.as_bytes(), body.as_slice());
///
/// // A short body changes nothing.
/// let mut upload = array.upload_full()?;
/// upload.write(&[0; 7])?;
/// assert!(matches!(upload.finish(), Err(tessera_storage::StorageError::Length { .. })));
/// assert_eq!(array.read_box(&[0..4, 0..3])?.as_bytes(), body.as_slice());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ArrayUpload {
    mode: Mode,
    /// What is uploaded, for errors ("the whole array of shape …").
    what: String,
}

#[derive(Debug)]
enum Mode {
    Stream(StreamUpload),
    /// Arrays this crate did not lay out (other codecs) and 0-d arrays: the body is kept and
    /// written through zarrs at the end.
    Buffered {
        array: ZarrArray,
        block: Option<Vec<usize>>,
        bytes: Vec<u8>,
        expected: usize,
    },
}

impl ArrayUpload {
    pub(crate) fn streaming(
        what: String,
        plan: UploadPlan,
        chunk_path: Box<dyn Fn(&[usize]) -> PathBuf + Send>,
    ) -> Self {
        ArrayUpload { mode: Mode::Stream(StreamUpload::new(plan, chunk_path)), what }
    }

    pub(crate) fn buffered(
        what: String,
        array: ZarrArray,
        block: Option<Vec<usize>>,
        expected: usize,
    ) -> Self {
        ArrayUpload { mode: Mode::Buffered { array, block, bytes: Vec::new(), expected }, what }
    }

    /// Checks a body length known in advance (an HTTP `Content-Length`) before any byte.
    ///
    /// # Errors
    /// [`StorageError::Length`] when `len` is not [`ArrayUpload::expected_len`].
    pub fn check_len(&self, len: usize) -> Result<(), StorageError> {
        if len != self.expected_len() {
            return Err(self.length_error(len));
        }
        Ok(())
    }

    fn length_error(&self, actual: usize) -> StorageError {
        StorageError::Length { what: self.what.clone(), expected: self.expected_len(), actual }
    }

    /// The number of bytes the upload takes: the elements of the array (or block) × the item
    /// size.
    pub fn expected_len(&self) -> usize {
        match &self.mode {
            Mode::Stream(s) => s.expected,
            Mode::Buffered { expected, .. } => *expected,
        }
    }

    /// Bytes received so far.
    pub fn received(&self) -> usize {
        match &self.mode {
            Mode::Stream(s) => s.received,
            Mode::Buffered { bytes, .. } => bytes.len(),
        }
    }

    /// Takes the next bytes of the body.
    ///
    /// # Errors
    /// [`StorageError::Length`] when the body passes the expected length; I/O errors writing
    /// the chunk files. After an error the upload can only be dropped.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let after = self.received() + bytes.len();
        if after > self.expected_len() {
            if let Mode::Stream(s) = &mut self.mode {
                s.failed = true;
            }
            return Err(self.length_error(after));
        }
        match &mut self.mode {
            Mode::Stream(s) => s.write(bytes),
            Mode::Buffered { bytes: held, .. } => {
                held.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// Checks that the whole body came, waits for every chunk file to be on disk, then
    /// renames them into place (and removes the chunks that are now all zeros).
    ///
    /// # Errors
    /// [`StorageError::Length`] when the body was short (nothing is changed); I/O errors.
    pub fn finish(self) -> Result<(), StorageError> {
        if self.received() != self.expected_len() {
            return Err(self.length_error(self.received()));
        }
        match self.mode {
            Mode::Stream(s) => s.finish(),
            Mode::Buffered { array, block: None, bytes, .. } => array.store_full(&bytes),
            Mode::Buffered { array, block: Some(b), bytes, .. } => array.store_block(&b, &bytes),
        }
    }
}

/// A streaming upload into chunk files this crate lays out.
struct StreamUpload {
    plan: UploadPlan,
    /// The chunk file path of chunk indices (whole-array coordinates).
    chunk_path: Box<dyn Fn(&[usize]) -> PathBuf + Send>,
    expected: usize,
    received: usize,
    slab_bytes: usize,
    /// Slabs (box coordinates) before `next_slab` are fed; `pending` holds the bytes after.
    next_slab: usize,
    pending: Vec<u8>,
    /// The current band: its index along the first axis and its chunks.
    band: Option<(usize, Vec<ChunkWrite>)>,
    /// Bands written go to a background thread that syncs their files.
    syncer: Option<Syncer>,
    /// Temporary files to remove if the upload does not finish.
    temporaries: Vec<PathBuf>,
    /// A whole-array upload's staging directory (`<array>/.tmp-…`, holding a `c/` tree like
    /// the array's), created at the first chunk.
    staging: Option<PathBuf>,
    failed: bool,
}

impl std::fmt::Debug for StreamUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamUpload")
            .field("plan", &self.plan)
            .field("expected", &self.expected)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

impl StreamUpload {
    fn new(plan: UploadPlan, chunk_path: Box<dyn Fn(&[usize]) -> PathBuf + Send>) -> Self {
        let slab_bytes = plan.box_shape[1..].iter().product::<usize>() * plan.itemsize;
        let expected = plan.box_shape[0] * slab_bytes;
        StreamUpload {
            plan,
            chunk_path,
            expected,
            received: 0,
            slab_bytes,
            next_slab: 0,
            pending: Vec::new(),
            band: None,
            syncer: None,
            temporaries: Vec::new(),
            staging: None,
            failed: false,
        }
    }

    fn write(&mut self, mut bytes: &[u8]) -> Result<(), StorageError> {
        if self.failed {
            return Err(self.poisoned());
        }
        self.received += bytes.len();
        let result = (|| {
            while !bytes.is_empty() {
                let unit = self.unit_slabs() * self.slab_bytes;
                if self.pending.is_empty() && bytes.len() >= unit {
                    // Whole pieces straight from the caller's bytes: no copy.
                    let (now, rest) = bytes.split_at(unit);
                    self.feed(now)?;
                    bytes = rest;
                } else {
                    let take = (unit - self.pending.len()).min(bytes.len());
                    self.pending.extend_from_slice(&bytes[..take]);
                    bytes = &bytes[take..];
                    if self.pending.len() == unit {
                        let piece = std::mem::take(&mut self.pending);
                        self.feed(&piece)?;
                        self.pending = piece;
                        self.pending.clear();
                    }
                }
            }
            Ok(())
        })();
        if result.is_err() {
            self.failed = true;
        }
        result
    }

    fn finish(mut self) -> Result<(), StorageError> {
        if self.failed {
            return Err(self.poisoned());
        }
        self.end_band()?;
        let done = match self.syncer.take() {
            Some((sender, handle)) => {
                drop(sender);
                let synced =
                    handle.join().unwrap_or_else(|_| Err(io::Error::other("the sync thread panicked")));
                synced.map_err(StorageError::io("sync", "a chunk file"))?
            }
            None => Vec::new(),
        };
        if let Some(array_dir) = self.plan.whole.clone() {
            return self.swap_in(&array_dir, &done);
        }
        let mut dirs = std::collections::BTreeSet::new();
        for f in &done {
            if f.nonzero {
                std::fs::rename(&f.tmp, &f.path).map_err(StorageError::io("rename", &f.tmp))?;
            } else {
                // Equal to the fill value: not stored, as Zarr does (and reads as zeros).
                let _ = std::fs::remove_file(&f.tmp);
                match std::fs::remove_file(&f.path) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        return Err(StorageError::io("remove", &f.path)(e));
                    }
                    _ => {}
                }
            }
            if let Some(dir) = f.path.parent() {
                dirs.insert(dir.to_path_buf());
            }
        }
        self.temporaries.clear();
        for dir in dirs {
            fsutil::sync_dir(&dir)?;
        }
        Ok(())
    }

    /// Puts a whole-array upload in place: the staging directory's chunk tree (the chunks
    /// written; all-zero ones were not kept) is exchanged with the array's in one atomic
    /// rename, so readers and a crash see every old chunk or every new one, never a mix. The
    /// old tree, now in the staging directory, is removed after.
    fn swap_in(&mut self, array_dir: &std::path::Path, done: &[Finished]) -> Result<(), StorageError> {
        let staging = match self.staging.take() {
            Some(s) => s,
            None => array_dir.join(fsutil::tmp_name()),
        };
        std::fs::create_dir_all(&staging).map_err(StorageError::io("create", &staging))?;
        let mut dirs = std::collections::BTreeSet::new();
        for f in done {
            if !f.nonzero {
                // Equal to the fill value: not stored, as Zarr does (and reads as zeros).
                std::fs::remove_file(&f.tmp).map_err(StorageError::io("remove", &f.tmp))?;
            }
            let mut d = f.tmp.parent();
            while let Some(dir) = d.filter(|d| d.starts_with(&staging)) {
                dirs.insert(dir.to_path_buf());
                d = dir.parent();
            }
        }
        // Deepest first: each directory's entries are on disk before its parent's.
        for dir in dirs.iter().rev() {
            fsutil::sync_dir(dir)?;
        }
        let (new, old) = (staging.join("c"), array_dir.join("c"));
        if !new.exists() {
            std::fs::create_dir(&new).map_err(StorageError::io("create", &new))?;
        }
        let replacing = old.exists();
        let result = if replacing {
            fsutil::exchange(&new, &old)
        } else {
            std::fs::rename(&new, &old).map_err(StorageError::io("rename", &new))
        };
        let synced = result.and_then(|()| fsutil::sync_dir(array_dir));
        self.temporaries.clear();
        if replacing && synced.is_ok() {
            // The old chunks: moved out of the array's directory at once (a rename), deleted
            // off the request path (a crash leaves a `.tmp-` directory, swept at start-up).
            let trash = array_dir.parent().map_or_else(|| staging.clone(), |p| p.join(fsutil::tmp_name()));
            let gone = if std::fs::rename(&staging, &trash).is_ok() { trash } else { staging };
            let _ = std::thread::Builder::new()
                .name("tessera-chunk-sweep".into())
                .spawn(move || std::fs::remove_dir_all(&gone));
        } else {
            let _ = std::fs::remove_dir_all(&staging);
        }
        synced
    }

    fn poisoned(&self) -> StorageError {
        StorageError::Structure { reason: "the upload failed earlier and cannot go on".into() }
    }

    /// Slabs in the next piece to feed: enough for [`FEED_BYTES`] (at least one), at most the
    /// rest of the current band.
    fn unit_slabs(&self) -> usize {
        let band_end = self.band_range(self.band_of(self.next_slab)).end;
        let want = FEED_BYTES.div_ceil(self.slab_bytes.max(1)).max(1);
        want.min(band_end - self.next_slab)
    }

    /// The band (chunk index along the first axis) of box slab `slab`.
    fn band_of(&self, slab: usize) -> usize {
        (self.plan.box_offset[0] + slab) / self.plan.chunk[0]
    }

    /// The box slabs of band `band`.
    fn band_range(&self, band: usize) -> std::ops::Range<usize> {
        let (off, c) = (self.plan.box_offset[0], self.plan.chunk[0]);
        let start = (band * c).max(off) - off;
        let end = ((band + 1) * c).min(off + self.plan.box_shape[0]) - off;
        start..end
    }

    /// Writes `bytes` (whole slabs from `next_slab`, inside one band) into the band's chunks.
    fn feed(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let slabs = bytes.len() / self.slab_bytes.max(1);
        let band = self.band_of(self.next_slab);
        if self.band.as_ref().is_none_or(|(b, _)| *b != band) {
            self.end_band()?;
            self.start_band(band)?;
        }
        let band_rows = self.band_range(band).len();
        let plan = &self.plan;
        let nd = plan.chunk.len();
        let mut src_shape = plan.box_shape.clone();
        src_shape[0] = slabs;
        let mut chunk = plan.chunk.clone();
        chunk[0] = slabs;
        let Some((_, chunks)) = self.band.as_mut() else { return Ok(()) };
        for c in chunks.iter_mut() {
            let mut offset = vec![0; nd];
            offset[1..].copy_from_slice(&c.offset);
            let mut region = vec![slabs; nd];
            region[1..].copy_from_slice(&c.region);
            let content = ChunkContent {
                src: bytes,
                src_shape: &src_shape,
                offset: &offset,
                region: &region,
                chunk: &chunk,
                itemsize: plan.itemsize,
            };
            if !c.nonzero && !content.is_zero() {
                c.nonzero = true;
            }
            let sink = match &mut c.sink {
                Some(s) => s,
                None => {
                    let full: usize = plan.chunk.iter().product::<usize>() * plan.itemsize;
                    // Padding past the array's last row is one hole at the end of a raw chunk,
                    // which costs nothing. Padding inside the rows (past the edge of an inner
                    // dimension) comes in short runs, one per row: as holes it would cut the
                    // file into as many extents (slow to write back), as zeros inflate it. Where
                    // it would add more than a quarter to the data, the chunk is compressed,
                    // at a fast level that still folds the runs into a few bytes.
                    let slab_data = c.region.iter().product::<usize>() * plan.itemsize;
                    let inner_padding = band_rows * (full / plan.chunk[0] - slab_data);
                    let padded = inner_padding * 4 > band_rows * slab_data;
                    let compress = padded || content.compressible(plan.level);
                    let level = if padded { PADDING_LEVEL.min(plan.level) } else { plan.level };
                    let file = File::create_new(&c.tmp).map_err(StorageError::io("create", &c.tmp))?;
                    self.temporaries.push(c.tmp.clone());
                    let out = BufWriter::with_capacity(1 << 20, EarlyWriteback::new(file));
                    let werr = |e: io::Error| StorageError::io("write", &c.tmp)(e);
                    let sink = if compress {
                        let mut z = zstd::stream::write::Encoder::new(out, level).map_err(werr)?;
                        z.include_checksum(false).map_err(werr)?;
                        z.include_contentsize(true).map_err(werr)?;
                        z.set_pledged_src_size(Some(full as u64)).map_err(werr)?;
                        Sink::Zstd(z)
                    } else {
                        Sink::Raw(RawFrameWriter::new(out, full as u64).map_err(werr)?)
                    };
                    c.sink.insert(sink)
                }
            };
            content.write_to(sink.writer()).map_err(StorageError::io("write", &c.tmp))?;
        }
        self.next_slab += slabs;
        Ok(())
    }

    /// Opens band `band`: one entry per chunk of the box in that chunk row.
    fn start_band(&mut self, band: usize) -> Result<(), StorageError> {
        let plan = &self.plan;
        let nd = plan.chunk.len();
        // Chunk index ranges of the box along the dimensions after the first.
        let first: Vec<usize> = (1..nd).map(|k| plan.box_offset[k] / plan.chunk[k]).collect();
        let counts: Vec<usize> = (1..nd)
            .map(|k| (plan.box_offset[k] + plan.box_shape[k]).div_ceil(plan.chunk[k]) - first[k - 1])
            .collect();
        let total: usize = counts.iter().product();
        let mut chunks = Vec::with_capacity(total);
        for i in 0..total {
            let mut rest = i;
            let mut idx = vec![0; nd];
            idx[0] = band;
            for k in (1..nd).rev() {
                idx[k] = first[k - 1] + rest % counts[k - 1];
                rest /= counts[k - 1];
            }
            let mut offset = Vec::with_capacity(nd - 1);
            let mut region = Vec::with_capacity(nd - 1);
            for k in 1..nd {
                let lo = (idx[k] * plan.chunk[k]).max(plan.box_offset[k]);
                let hi = ((idx[k] + 1) * plan.chunk[k]).min(plan.box_offset[k] + plan.box_shape[k]);
                offset.push(lo - plan.box_offset[k]);
                region.push(hi - lo);
            }
            let path = (self.chunk_path)(&idx);
            let tmp = match &self.plan.whole {
                // Whole array: the chunk's own name, under the staging directory.
                Some(array_dir) => {
                    let staging = self.staging.get_or_insert_with(|| array_dir.join(fsutil::tmp_name()));
                    let rel = path.strip_prefix(array_dir).map_err(|_| StorageError::Corrupt {
                        path: path.clone(),
                        reason: "a chunk outside its array's directory".into(),
                    })?;
                    staging.join(rel)
                }
                None => path.parent().map(PathBuf::from).unwrap_or_default().join(fsutil::tmp_name()),
            };
            let dir = tmp.parent().map(PathBuf::from).unwrap_or_default();
            std::fs::create_dir_all(&dir).map_err(StorageError::io("create", &dir))?;
            chunks.push(ChunkWrite { path, tmp, sink: None, nonzero: false, offset, region });
        }
        self.band = Some((band, chunks));
        Ok(())
    }

    /// Ends the current band: pads its chunks along the first axis, ends their frames and
    /// starts syncing them in the background.
    fn end_band(&mut self) -> Result<(), StorageError> {
        let Some((band, chunks)) = self.band.take() else { return Ok(()) };
        let plan = &self.plan;
        let rows = self.band_range(band).len();
        let row_bytes = plan.chunk[1..].iter().product::<usize>() * plan.itemsize;
        let mut files = Vec::with_capacity(chunks.len());
        for c in chunks {
            let Some(mut sink) = c.sink else { continue };
            let werr = |e: io::Error| StorageError::io("write", &c.tmp)(e);
            sink.writer().write_zeros((plan.chunk[0] - rows) * row_bytes).map_err(werr)?;
            let file = sink.finish().map_err(werr)?;
            files.push((file, Finished { path: c.path, tmp: c.tmp, nonzero: c.nonzero }));
        }
        if files.is_empty() {
            return Ok(());
        }
        let (sender, _) = match &self.syncer {
            Some(s) => s,
            None => self.syncer.insert(spawn_syncer()?),
        };
        // The thread only stops early on an error, which `finish` then reports.
        let _ = sender.send(files);
        Ok(())
    }
}

impl Drop for StreamUpload {
    fn drop(&mut self) {
        // Finished: nothing left. Otherwise the temporary files go (a sync still running on
        // one keeps its own handle; removing the name is safe).
        for tmp in &self.temporaries {
            let _ = std::fs::remove_file(tmp);
        }
        if let Some(staging) = &self.staging {
            let _ = std::fs::remove_dir_all(staging);
        }
    }
}
