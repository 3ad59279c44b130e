//! Tables stored as one Parquet file per partition.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::errors::ParquetError;
use tessera_core::table::{BatchStream, IterStream};
use tessera_parquet::{ParquetCompression, ParquetOptions, ParquetWriteError};

use crate::StorageError;
use crate::cache::{FileId, PartitionCache};
use crate::fsutil;

/// Rows per record batch when reading a partition back (memory stays bounded by this many
/// rows, whatever the partition size).
pub const READ_BATCH_ROWS: usize = 65_536;

/// Rows per Parquet row group when a partition is written: row groups are the unit that
/// reads decode in parallel, so a partition of a million rows gets eight.
pub const WRITE_ROW_GROUP_ROWS: usize = 131_072;

/// Decoded batches each decoding thread may hold ahead of the reader.
const READ_AHEAD_BATCHES: usize = 2;

/// True for pandas' index column names, `__index_level_<N>__`.
pub fn is_index_column(name: &str) -> bool {
    name.strip_prefix("__index_level_")
        .and_then(|r| r.strip_suffix("__"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks that Parquet can hold every column type of `schema` (tessera-parquet's check, as a
/// client error).
pub(crate) fn check_parquet_schema(schema: &Schema) -> Result<(), StorageError> {
    tessera_parquet::check_schema(schema).map_err(|e| StorageError::Unsupported { what: e.to_string() })
}

/// A table stored as Parquet, one file `partition-<i>.parquet` per partition.
///
/// Cheap to clone (shared state); `Send + Sync`.
#[derive(Clone, Debug)]
pub struct ParquetTable {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    declared: SchemaRef,
    npartitions: usize,
    /// The schema of the written partitions (declared fields plus index columns, with the
    /// first upload's metadata); None until one is written.
    stored: RwLock<Option<SchemaRef>>,
    /// Decoded partitions shared with other tables (see [`crate::Storage::with_partition_cache`]).
    cache: Option<Arc<PartitionCache>>,
}

impl ParquetTable {
    /// Opens the table directory `dir`; the stored schema is read from the footer of the
    /// first written partition, if any.
    pub(crate) fn open(
        dir: &Path,
        declared: SchemaRef,
        npartitions: usize,
        cache: Option<Arc<PartitionCache>>,
    ) -> Result<ParquetTable, StorageError> {
        let table = ParquetTable {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                declared,
                npartitions,
                stored: RwLock::new(None),
                cache,
            }),
        };
        if let Some(i) = (0..npartitions).find(|&i| table.is_written(i)) {
            let path = table.partition_path(i);
            let file = File::open(&path).map_err(StorageError::io("open", &path))?;
            let schema = ParquetRecordBatchReaderBuilder::try_new(file)?.schema().clone();
            table.check_fields(schema.fields().iter().map(|f| f.as_ref())).map_err(|e| {
                StorageError::Corrupt {
                    path: path.clone(),
                    reason: format!("the stored partition does not match the declared schema: {e}"),
                }
            })?;
            *table.inner.stored.write().unwrap_or_else(|p| p.into_inner()) = Some(schema);
        }
        Ok(table)
    }

    /// The declared schema, plus any pandas index columns (`__index_level_N__`) that uploads
    /// carried, with the first upload's schema metadata (so pandas restores the index). The
    /// same after a restart: it is read back from the footer of a written partition.
    pub fn schema(&self) -> SchemaRef {
        let stored = self.inner.stored.read().unwrap_or_else(|p| p.into_inner());
        stored.clone().unwrap_or_else(|| self.inner.declared.clone())
    }

    /// The schema declared at creation.
    pub fn declared_schema(&self) -> &SchemaRef {
        &self.inner.declared
    }

    /// Number of partitions.
    pub fn npartitions(&self) -> usize {
        self.inner.npartitions
    }

    /// The directory holding the partition files.
    pub fn path(&self) -> &Path {
        &self.inner.dir
    }

    fn partition_path(&self, i: usize) -> PathBuf {
        self.inner.dir.join(format!("partition-{i}.parquet"))
    }

    fn check_index(&self, i: usize) -> Result<(), StorageError> {
        if i >= self.inner.npartitions {
            return Err(StorageError::Partition { index: i, npartitions: self.inner.npartitions });
        }
        Ok(())
    }

    /// Checks that `fields` minus index columns are the declared fields (names and types, in
    /// order).
    fn check_fields<'a>(&self, fields: impl Iterator<Item = &'a Field>) -> Result<(), StorageError> {
        let data: Vec<&Field> = fields.filter(|f| !is_index_column(f.name())).collect();
        let declared = self.inner.declared.fields();
        let names = |fs: &mut dyn Iterator<Item = &Field>| {
            fs.map(|f| f.name().as_str()).collect::<Vec<_>>().join(", ")
        };
        if data.len() != declared.len() || data.iter().zip(declared.iter()).any(|(a, b)| a.name() != b.name())
        {
            return Err(StorageError::Schema {
                reason: format!(
                    "columns [{}], declared [{}]",
                    names(&mut data.iter().copied()),
                    names(&mut declared.iter().map(|f| f.as_ref()))
                ),
            });
        }
        for (a, b) in data.iter().zip(declared.iter()) {
            if a.data_type() != b.data_type() {
                return Err(StorageError::Schema {
                    reason: format!(
                        "column {:?} has type {}, declared {}",
                        a.name(),
                        a.data_type(),
                        b.data_type()
                    ),
                });
            }
        }
        Ok(())
    }

    /// Writes partition `i` as `partition-<i>.parquet` (snappy, row groups of
    /// [`WRITE_ROW_GROUP_ROWS`] rows), atomically: a temporary file
    /// in the table directory, flushed, then renamed into place (a rewrite replaces the old
    /// partition whole).
    ///
    /// The batches' fields must be the declared fields by name and type, in order; extra
    /// columns named `__index_level_<N>__` (pandas' index, which the Tiled client sends
    /// although its declared schema lacks it) are accepted anywhere and stored. A field
    /// declared non-nullable may be nullable in the upload as long as it holds no nulls; the
    /// stored field is the declared one. Every partition must carry the same index columns as
    /// the partitions written before. An empty `batches` writes a partition of zero rows.
    ///
    /// # Errors
    /// [`StorageError::Partition`] for `i` out of range, [`StorageError::Schema`] for any
    /// mismatch (nothing is written in both cases); Parquet or I/O errors otherwise.
    pub fn write_partition(&self, i: usize, batches: &[RecordBatch]) -> Result<(), StorageError> {
        self.check_index(i)?;
        let upload: SchemaRef =
            batches.first().map_or_else(|| self.inner.declared.clone(), RecordBatch::schema);
        for (n, b) in batches.iter().enumerate().skip(1) {
            let s = b.schema();
            let same = s.fields().len() == upload.fields().len()
                && s.fields()
                    .iter()
                    .zip(upload.fields())
                    .all(|(a, b)| a.name() == b.name() && a.data_type() == b.data_type());
            if !same {
                return Err(StorageError::Schema {
                    reason: format!("batch {n} has a different schema than batch 0"),
                });
            }
        }
        self.check_fields(upload.fields().iter().map(|f| f.as_ref()))?;
        // The stored schema: the declared fields, the upload's index columns, the upload's
        // metadata (pandas') when it has any.
        let mut declared = self.inner.declared.fields().iter();
        let fields: Vec<Arc<Field>> = upload
            .fields()
            .iter()
            .map(|f| {
                if is_index_column(f.name()) {
                    f.clone()
                } else {
                    declared.next().cloned().unwrap_or_else(|| f.clone())
                }
            })
            .collect();
        let metadata = if upload.metadata().is_empty() {
            self.inner.declared.metadata().clone()
        } else {
            upload.metadata().clone()
        };
        let schema = Arc::new(Schema::new_with_metadata(fields, metadata));
        check_parquet_schema(&schema)?;
        if let Some(stored) = self.inner.stored.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let names = |s: &Schema| s.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>();
            if names(stored) != names(&schema) {
                return Err(StorageError::Schema {
                    reason: format!(
                        "columns {:?} differ from those of the partitions already written {:?} (index columns must agree)",
                        names(&schema),
                        names(stored)
                    ),
                });
            }
        }
        let batches: Vec<RecordBatch> = batches
            .iter()
            .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| StorageError::Schema { reason: e.to_string() })?;
        // Through tessera-parquet, the exporter's writer: columns encoded in parallel, no
        // dictionary where values are distinct (floats), delta-encoded stepping integers.
        // Snappy rather than zstd: it decodes several times faster (reads dominate), and
        // every Parquet reader has it (pyarrow's default). Columns snappy cannot shrink by
        // a tenth (random floats, ints, timestamps; judged on the first batch) are stored
        // uncompressed: on random numeric columns that is 40 % less write time and 65 %
        // less read time for 2 % more bytes, and every reader handles per-column codecs.
        let options = ParquetOptions::default()
            .with_compression(ParquetCompression::Snappy)
            .with_skip_incompressible(true)
            .with_max_row_group_rows(WRITE_ROW_GROUP_ROWS);
        let parquet = |e: ParquetWriteError| StorageError::Parquet(ParquetError::External(Box::new(e)));
        let path = self.partition_path(i);
        // The partition being replaced keeps a second, temporary name until the new one is in
        // place, and is unlinked from there afterwards, off the caller's thread: a rename over
        // the last name of a file frees its blocks, which took 8-10 ms of a 36 MB partition's
        // upload on ext4. (A crash in between leaves a `.tmp-` file for the sweep.)
        let replaced = self.inner.dir.join(fsutil::tmp_name());
        let kept = std::fs::hard_link(&path, &replaced).is_ok();
        // Row groups reach the file as they are encoded (in pieces of megabytes) and the disk
        // starts on them at once, so the fsync before the rename waits for the tail only.
        let written = fsutil::write_atomic(&path, |file| {
            let mut writer = options.build(fsutil::EarlyWriteback::new(&*file), &schema).map_err(parquet)?;
            for b in &batches {
                writer.write(b).map_err(parquet)?;
            }
            writer.finish().map_err(parquet)?;
            Ok(())
        });
        if kept {
            remove_in_background(replaced);
        }
        written?;
        let mut stored = self.inner.stored.write().unwrap_or_else(|p| p.into_inner());
        if stored.is_none() {
            *stored = Some(schema);
        }
        Ok(())
    }

    /// Partition `i`'s Parquet file, opened: a whole file that a later write of the partition
    /// does not change (writes rename a new file into place), for serving the stored bytes as
    /// they are.
    ///
    /// # Errors
    /// [`StorageError::Partition`] when `i` is out of range, [`StorageError::NotWritten`]
    /// before its first write; I/O errors.
    pub fn open_partition_file(&self, i: usize) -> Result<std::fs::File, StorageError> {
        self.check_index(i)?;
        let path = self.partition_path(i);
        match std::fs::File::open(&path) {
            Ok(f) => Ok(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::NotWritten { index: i }),
            Err(e) => Err(StorageError::io("open", &path)(e)),
        }
    }

    /// True once partition `i` was written (false for `i` out of range).
    pub fn is_written(&self, i: usize) -> bool {
        i < self.inner.npartitions && self.partition_path(i).is_file()
    }

    /// The batches of partition `i`, [`READ_BATCH_ROWS`] rows at a time. The stream's schema
    /// is the partition file's.
    ///
    /// With a [`PartitionCache`] (see [`crate::Storage::with_partition_cache`]), a partition
    /// decoded before from the very same file comes from memory; otherwise its row groups are
    /// decoded ahead of the reader on background threads (one per core, each holding at most a
    /// couple of batches, so memory stays bounded whatever the partition size), and a
    /// partition small enough for the cache is kept once read to the end.
    ///
    /// # Errors
    /// [`StorageError::Partition`] for `i` out of range, [`StorageError::NotWritten`] for a
    /// partition not written yet (both client errors); Parquet or I/O errors otherwise.
    pub fn read_partition(&self, i: usize) -> Result<Box<dyn BatchStream>, StorageError> {
        self.check_index(i)?;
        let path = self.partition_path(i);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotWritten { index: i });
            }
            Err(e) => return Err(StorageError::io("open", &path)(e)),
        };
        let cache = self.inner.cache.as_ref().filter(|c| c.capacity() > 0);
        let mut fill = None;
        if let Some(cache) = cache {
            // The identity of the file opened: whatever replaces the path later is another key.
            let id = FileId::of(&file).map_err(StorageError::io("stat", &path))?;
            if let Some((schema, batches)) = cache.get(&path, &id) {
                let it = (0..batches.len()).map(move |k| Ok(batches[k].clone()));
                return Ok(Box::new(IterStream::new(schema, it)));
            }
            fill = Some((cache.clone(), path.clone(), id));
        }
        let (schema, batches) = read_parallel(file, &path)?;
        let Some((cache, path, id)) = fill else {
            return Ok(Box::new(IterStream::new(schema, batches)));
        };
        let limit = cache.max_entry_bytes();
        let filling = Filling {
            inner: batches,
            kept: Some(Vec::new()),
            bytes: 0,
            limit,
            cache,
            path,
            id,
            schema: schema.clone(),
        };
        Ok(Box::new(IterStream::new(schema, filling)))
    }

    /// Bytes on disk (all partition files).
    pub fn byte_size(&self) -> u64 {
        fsutil::dir_size(&self.inner.dir)
    }
}

/// Removes the file `path` on a thread of its own (on this one if none can be started),
/// ignoring errors: it is a temporary name, which the sweep removes otherwise.
fn remove_in_background(path: PathBuf) {
    let remove = |p: &Path| drop(std::fs::remove_file(p));
    let spawned = std::thread::Builder::new().name("tessera-unlink".into()).spawn({
        let path = path.clone();
        move || remove(&path)
    });
    if spawned.is_err() {
        remove(&path);
    }
}

/// Decoded batches, in order.
type Batches = Box<dyn Iterator<Item = Result<RecordBatch, ArrowError>> + Send>;

/// The batches of a Parquet file as the stream of a partition: the file's schema (with its
/// metadata, which pandas needs, put back on every batch) and its row groups decoded in
/// order, by up to one background thread per core.
fn read_parallel(file: File, path: &Path) -> Result<(SchemaRef, Batches), StorageError> {
    use parquet::arrow::arrow_reader::ArrowReaderMetadata;
    let len = file.metadata().map_err(StorageError::io("stat", path))?.len();
    let file = PreadFile { file: Arc::new(file), len };
    let meta = ArrowReaderMetadata::load(&file, Default::default())?;
    // The builder's schema carries the file's schema metadata (pandas'); the reader's batches
    // do not, so they get it back (an Arc swap, no copy).
    let schema = meta.schema().clone();
    let groups = meta.metadata().num_row_groups();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(groups);
    let with_metadata = schema.clone();
    let fix = move |b: Result<RecordBatch, ArrowError>| b.and_then(|b| b.with_schema(with_metadata.clone()));
    if threads == 0 {
        return Ok((schema, Box::new(std::iter::empty())));
    }
    // One decoder per thread, each over the same open file (positioned reads: no shared
    // offset) and its share of the row groups (k, k + threads, ...); the reader takes row
    // groups back in order, so batches come out exactly as a serial read gives them.
    let mut receivers = Vec::with_capacity(threads);
    for k in 0..threads {
        let file = file.clone();
        let meta = meta.clone();
        let (tx, rx) =
            std::sync::mpsc::sync_channel::<Option<Result<RecordBatch, ArrowError>>>(READ_AHEAD_BATCHES);
        std::thread::Builder::new()
            .name("tessera-parquet-read".into())
            .spawn(move || {
                for g in (k..groups).step_by(threads) {
                    let reader =
                        ParquetRecordBatchReaderBuilder::new_with_metadata(file.clone(), meta.clone())
                            .with_batch_size(READ_BATCH_ROWS)
                            .with_row_groups(vec![g])
                            .build()
                            .map_err(ArrowError::from);
                    let reader = match reader {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = tx.send(Some(Err(e)));
                            return;
                        }
                    };
                    for b in reader {
                        let failed = b.is_err();
                        // A closed channel: the reader went away; stop decoding.
                        if tx.send(Some(b)).is_err() || failed {
                            return;
                        }
                    }
                    if tx.send(None).is_err() {
                        return;
                    }
                }
            })
            .map_err(StorageError::io("spawn a decoding thread for", path))?;
        receivers.push(rx);
    }
    let batches = InOrder { receivers, group: 0, groups, done: false };
    Ok((schema, Box::new(batches.map(fix))))
}

/// A Parquet file read with positioned reads, so that several decoding threads share one open
/// file (the very file whose identity keys the cache) without sharing a file offset, as
/// clones of a [`File`] (parquet's own `ChunkReader` for it) would.
#[derive(Clone)]
struct PreadFile {
    file: Arc<File>,
    len: u64,
}

/// A reader at a position of a [`PreadFile`].
struct PreadAt {
    file: Arc<File>,
    pos: u64,
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, pos)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], pos: u64) -> std::io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, pos)
}

impl std::io::Read for PreadAt {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl parquet::file::reader::Length for PreadFile {
    fn len(&self) -> u64 {
        self.len
    }
}

impl parquet::file::reader::ChunkReader for PreadFile {
    type T = std::io::BufReader<PreadAt>;

    fn get_read(&self, start: u64) -> parquet::errors::Result<Self::T> {
        Ok(std::io::BufReader::new(PreadAt { file: self.file.clone(), pos: start }))
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<bytes::Bytes> {
        let mut buf = vec![0u8; length];
        let mut reader = PreadAt { file: self.file.clone(), pos: start };
        std::io::Read::read_exact(&mut reader, &mut buf)?;
        Ok(buf.into())
    }
}

/// The batches of row groups decoded by several threads, taken back in row-group order.
struct InOrder {
    receivers: Vec<std::sync::mpsc::Receiver<Option<Result<RecordBatch, ArrowError>>>>,
    group: usize,
    groups: usize,
    done: bool,
}

impl Iterator for InOrder {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done && self.group < self.groups {
            let rx = &self.receivers[self.group % self.receivers.len()];
            match rx.recv() {
                Ok(Some(Ok(b))) => return Some(Ok(b)),
                Ok(Some(Err(e))) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Ok(None) => self.group += 1,
                Err(_) => {
                    self.done = true;
                    return Some(Err(ArrowError::ExternalError("a Parquet decoding thread stopped".into())));
                }
            }
        }
        None
    }
}

/// A partition's batches passed through, kept on the side (up to `limit` bytes) and put into
/// the cache when the stream ends without error.
struct Filling<I> {
    inner: I,
    kept: Option<Vec<RecordBatch>>,
    bytes: usize,
    limit: usize,
    cache: Arc<PartitionCache>,
    path: PathBuf,
    id: FileId,
    schema: SchemaRef,
}

impl<I: Iterator<Item = Result<RecordBatch, ArrowError>>> Iterator for Filling<I> {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.inner.next() {
            Some(Ok(b)) => {
                if let Some(kept) = &mut self.kept {
                    self.bytes += b.get_array_memory_size();
                    if self.bytes > self.limit {
                        // Too large to cache: stop holding batches.
                        self.kept = None;
                    } else {
                        kept.push(b.clone());
                    }
                }
                Some(Ok(b))
            }
            Some(Err(e)) => {
                self.kept = None;
                Some(Err(e))
            }
            None => {
                if let Some(kept) = self.kept.take() {
                    self.cache.insert(
                        std::mem::take(&mut self.path),
                        self.id.clone(),
                        self.schema.clone(),
                        kept.into(),
                    );
                }
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn types_parquet_cannot_store() {
        use arrow::datatypes::{DataType as T, Field, Fields, UnionFields, UnionMode};
        let union = T::Union(
            UnionFields::try_new(vec![0], vec![Field::new("a", T::Int32, true)]).unwrap(),
            UnionMode::Dense,
        );
        let nested = T::List(Arc::new(Field::new("item", union.clone(), true)));
        let empty_struct = T::Struct(Fields::empty());
        for t in [union, nested, empty_struct] {
            let schema = Schema::new(vec![Field::new("c", t, true)]);
            let e = check_parquet_schema(&schema).unwrap_err();
            assert!(matches!(e, StorageError::Unsupported { .. }) && e.is_client_error(), "{e}");
        }
        check_parquet_schema(&Schema::new(vec![Field::new("c", T::Utf8, true)])).unwrap();
        let none = check_parquet_schema(&Schema::empty()).unwrap_err();
        assert!(none.is_client_error() && none.to_string().contains("at least one column"), "{none}");
    }

    #[test]
    fn a_rewrite_replaces_the_partition_and_then_unlinks_the_old_one() {
        use arrow::array::Int64Array;
        use arrow::datatypes::DataType;
        let dir = tempfile::tempdir().unwrap();
        let st = crate::Storage::open(dir.path()).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let t = st.create_table("t", schema.clone(), 1).unwrap();
        let batch =
            |v: Vec<i64>| RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(v))]).unwrap();
        let rows = |f: File| {
            let r = ParquetRecordBatchReaderBuilder::try_new(f).unwrap().build().unwrap();
            r.map(|b| b.unwrap().num_rows()).sum::<usize>()
        };
        t.write_partition(0, &[batch(vec![1, 2, 3])]).unwrap();
        let reader_of_old = File::open(t.partition_path(0)).unwrap();
        t.write_partition(0, &[batch(vec![4])]).unwrap();
        assert_eq!(rows(File::open(t.partition_path(0)).unwrap()), 1);
        assert_eq!(rows(reader_of_old), 3);
        let names = || {
            let mut n: Vec<String> = std::fs::read_dir(t.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            n.sort();
            n
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while names().iter().any(|n| n.starts_with(fsutil::TMP_PREFIX))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(!names().iter().any(|n| n.starts_with(fsutil::TMP_PREFIX)), "{:?}", names());
        assert!(names().contains(&"partition-0.parquet".to_string()));
    }

    #[test]
    fn index_column_names() {
        assert!(is_index_column("__index_level_0__"));
        assert!(is_index_column("__index_level_12__"));
        assert!(!is_index_column("__index_level__"));
        assert!(!is_index_column("__index_level_x__"));
        assert!(!is_index_column("index"));
    }
}
